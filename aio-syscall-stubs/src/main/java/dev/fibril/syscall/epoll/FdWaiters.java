/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;

/**
 * What one ring has parked on one fd: three FIFOs of request slots (linked through
 * {@link RequestTable#waitNext}) and the channel's {@link SelectionKey} on the ring's selector,
 * whose interest set is kept equal to what the FIFOs need.
 *
 * <ul>
 *   <li>{@link #READ}: RECV, READ on a socket, ACCEPT; ready on OP_READ / OP_ACCEPT</li>
 *   <li>{@link #WRITE}: SEND, WRITE on a socket, CONNECT; ready on OP_WRITE / OP_CONNECT</li>
 *   <li>{@link #POLL}: POLL_ADD, completed with the ready mask, never retried</li>
 * </ul>
 *
 * A request that arrives while its side's FIFO is non-empty queues behind it instead of trying
 * the fast path, so data is never taken out of order. One object per fd number per ring, reused
 * when the number is: {@link #entry} says which open file it currently serves (null: none). The
 * key is registered on first park and kept (interest 0 when idle) until the fd closes.
 * Owner thread only.
 */
final class FdWaiters {
    static final int READ = 0;
    static final int WRITE = 1;
    static final int POLL = 2;

    FdEntry entry;
    /** The channel {@link #key} belongs to; the entry's channel may since have been replaced. */
    Channel channel;
    SelectionKey key;
    int interest;
    /** Whether this ring has announced itself on {@link #entry} (see {@link FdEntry}). */
    boolean announced;
    private final int[] head = {-1, -1, -1};
    private final int[] tail = {-1, -1, -1};

    boolean isEmpty(int side) {
        return head[side] < 0;
    }

    int head(int side) {
        return head[side];
    }

    void append(int side, int slot, int[] next) {
        next[slot] = -1;
        if (tail[side] < 0) {
            head[side] = slot;
        } else {
            next[tail[side]] = slot;
        }
        tail[side] = slot;
    }

    /** Unlinks {@code slot} from {@code side}'s FIFO; false if it is not there. Walks the FIFO: they are short. */
    boolean remove(int side, int slot, int[] next) {
        int previous = -1;
        for (int s = head[side]; s >= 0; previous = s, s = next[s]) {
            if (s == slot) {
                if (previous < 0) {
                    head[side] = next[s];
                } else {
                    next[previous] = next[s];
                }
                if (tail[side] == s) {
                    tail[side] = previous;
                }
                next[s] = -1;
                return true;
            }
        }
        return false;
    }

    /** Rebinds this object to {@code newEntry}; every FIFO must be empty and the old key cancelled. */
    void bind(FdEntry newEntry) {
        entry = newEntry;
        channel = null;
        key = null;
        interest = 0;
        announced = false;
    }
}
