/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What an {@link IoBatchImpl} keeps per descriptor index while a request is prepared or in
 * flight (the caller's tag, the channel's handle, the caller's buffer, since the descriptor may
 * carry a view of it), and the indices of completed requests in the order they completed, until
 * the batch reports them. The batch's fibril only, inside its carrier's section: plain fields.
 * Grows with the pool's indices and the completions outstanding; steady state allocates nothing.
 */
final class BatchRecords {
    private long[] tags = new long[64];
    private FdHandle[] handles = new FdHandle[64];
    private ByteBuffer[] buffers = new ByteBuffer[64];
    private int[] completed = new int[16];
    private int completedHead;
    private int completedCount;

    /** Records the request of descriptor {@code index}; {@code handle} null for a NOP. */
    void put(int index, long tag, FdHandle handle, ByteBuffer buffer) {
        if (index >= tags.length) {
            int n = Math.max(index + 1, tags.length * 2);
            tags = Arrays.copyOf(tags, n);
            handles = Arrays.copyOf(handles, n);
            buffers = Arrays.copyOf(buffers, n);
        }
        tags[index] = tag;
        handles[index] = handle;
        buffers[index] = buffer;
    }

    long tag(int index) {
        return tags[index];
    }

    FdHandle handle(int index) {
        return handles[index];
    }

    ByteBuffer buffer(int index) {
        return buffers[index];
    }

    /** Forgets descriptor {@code index}'s references (its request was reported or dropped). */
    void clear(int index) {
        handles[index] = null;
        buffers[index] = null;
    }

    /** Queues descriptor {@code index} as completed. */
    void completed(int index) {
        if (completedCount == completed.length) {
            int[] bigger = new int[completed.length * 2];
            for (int i = 0; i < completedCount; i++) {
                bigger[i] = completed[(completedHead + i) % completed.length];
            }
            completed = bigger;
            completedHead = 0;
        }
        completed[(completedHead + completedCount) % completed.length] = index;
        completedCount++;
    }

    /** Completions queued, not yet reported. */
    int completedCount() {
        return completedCount;
    }

    /** The index of the oldest completion queued, taken off the queue; only when {@link #completedCount} > 0. */
    int takeCompleted() {
        int index = completed[completedHead];
        completedHead = (completedHead + 1) % completed.length;
        completedCount--;
        return index;
    }
}
