/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.link;

import java.util.Arrays;

/**
 * The chain members whose op completed, noted by the ring's drain and run later by
 * {@link LinkChains#runCompleted}, in the order noted: each its slot, result and due time, in
 * parallel arrays used as a queue [head, tail) that is empty again at 0 and grows only, so steady
 * state allocates nothing. The owner of the ring only.
 */
final class CompletedMembers {
    private int[] slots = new int[16];
    private int[] results = new int[16];
    private long[] dues = new long[16];
    private int head;
    private int tail;

    void add(int slot, int result, long due) {
        if (tail == slots.length) {
            slots = Arrays.copyOf(slots, tail * 2);
            results = Arrays.copyOf(results, tail * 2);
            dues = Arrays.copyOf(dues, tail * 2);
        }
        slots[tail] = slot;
        results[tail] = result;
        dues[tail++] = due;
    }

    boolean isEmpty() {
        return head == tail;
    }

    /** Takes the oldest noted member off the queue; returns its position, for {@link #slot}, {@link #result} and {@link #due}. */
    int take() {
        return head++;
    }

    int slot(int at) {
        return slots[at];
    }

    int result(int at) {
        return results[at];
    }

    long due(int at) {
        return dues[at];
    }

    /** Starts the queue again at 0 once it is empty. */
    void rewindIfEmpty() {
        if (head == tail) {
            head = tail = 0;
        }
    }

    void clear() {
        head = tail = 0;
    }
}
