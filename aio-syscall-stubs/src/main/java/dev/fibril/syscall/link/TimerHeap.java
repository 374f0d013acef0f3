/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.link;

import java.util.Arrays;

/**
 * Timers of an emulated ring (TIMEOUT requests, armed LINK_TIMEOUTs): a binary min-heap of
 * {@code (deadline, slot)} in primitive arrays, with each slot's heap index kept so a cancel
 * removes in O(log n). Deadlines are {@link System#nanoTime()} values and compare by difference,
 * so they survive its wrap-around. Owner thread only; grows, otherwise allocates nothing.
 */
public final class TimerHeap {
    /** Longest timer: deadlines must stay within 2^63 of each other to compare by difference. */
    public static final long MAX_DELAY_NANOS = 1L << 60;

    private long[] deadline = new long[16];
    private int[] slotAt = new int[16];
    private int size;
    /** Heap index of each request slot, -1 when it holds no timer. */
    private int[] indexOf = new int[0];

    public int size() {
        return size;
    }

    /** The earliest deadline; call only when {@link #size} is not 0. */
    public long firstDeadline() {
        return deadline[0];
    }

    public void add(int slot, long due) {
        if (slot >= indexOf.length) {
            int old = indexOf.length;
            indexOf = Arrays.copyOf(indexOf, Math.max(slot + 1, old * 2));
            Arrays.fill(indexOf, old, indexOf.length, -1);
        }
        if (size == deadline.length) {
            deadline = Arrays.copyOf(deadline, size * 2);
            slotAt = Arrays.copyOf(slotAt, size * 2);
        }
        place(size++, due, slot);
        siftUp(size - 1);
    }

    /** Removes {@code slot}'s timer; false if it has none. */
    public boolean remove(int slot) {
        int i = slot < indexOf.length ? indexOf[slot] : -1;
        if (i < 0) {
            return false;
        }
        indexOf[slot] = -1;
        int last = --size;
        if (i != last) {
            place(i, deadline[last], slotAt[last]);
            siftDown(i);
            siftUp(i);
        }
        return true;
    }

    /** Removes and returns the slot of a timer due at {@code now}, or -1 when none is. */
    public int pollDue(long now) {
        if (size == 0 || deadline[0] - now > 0) {
            return -1;
        }
        int slot = slotAt[0];
        remove(slot);
        return slot;
    }

    private void place(int i, long due, int slot) {
        deadline[i] = due;
        slotAt[i] = slot;
        indexOf[slot] = i;
    }

    private void siftUp(int i) {
        long due = deadline[i];
        int slot = slotAt[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (deadline[parent] - due <= 0) {
                break;
            }
            place(i, deadline[parent], slotAt[parent]);
            i = parent;
        }
        place(i, due, slot);
    }

    private void siftDown(int i) {
        long due = deadline[i];
        int slot = slotAt[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && deadline[child + 1] - deadline[child] < 0) {
                child++;
            }
            if (due - deadline[child] <= 0) {
                break;
            }
            place(i, deadline[child], slotAt[child]);
            i = child;
        }
        place(i, due, slot);
    }
}
