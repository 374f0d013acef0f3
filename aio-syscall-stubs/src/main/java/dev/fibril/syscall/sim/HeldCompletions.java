/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.util.Arrays;

/**
 * Completions that a REORDER fault holds back until the end of the flush that made them, so they
 * go into the heap after those of the requests that followed them. At most one per submission, so
 * the arrays are sized to the submission queue and never grow. Each tells {@link RequestSlots}
 * where it is. Owner thread only.
 */
final class HeldCompletions {
    private final RequestSlots slots;
    final long[] due;
    final long[] token;
    final int[] result;
    final byte[] opcode;
    final Descriptor[] descriptor;
    int count;

    HeldCompletions(RequestSlots slots, int capacity) {
        this.slots = slots;
        due = new long[capacity];
        token = new long[capacity];
        result = new int[capacity];
        opcode = new byte[capacity];
        descriptor = new Descriptor[capacity];
    }

    void add(long dueAt, long requestToken, int res, byte op, Descriptor on) {
        due[count] = dueAt;
        token[count] = requestToken;
        result[count] = res;
        opcode[count] = op;
        descriptor[count] = on;
        slots.move(requestToken, RequestSlots.HELD, count);
        count++;
    }

    void clear() {
        Arrays.fill(descriptor, 0, count, null);
        count = 0;
    }
}
