/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.util.Arrays;

/**
 * A ring's completions, delivered and undelivered, as a binary min-heap on (due time, sequence) in
 * parallel primitive arrays: no object per completion, growth only when more are in flight than
 * ever before. The sequence number keeps completions that are due at the same time in the order
 * they were made. Each entry carries its request's token, and every write of an entry tells
 * {@link RequestSlots} where it now is, so a cancel finds it without a search. Owner thread only.
 */
final class CompletionHeap {
    /** The order of pushes, which breaks ties between equal due times. */
    private long nextSequence;
    private final RequestSlots slots;
    private long[] due;
    private long[] sequence;
    private long[] token;
    private int[] result;
    private byte[] opcode;
    /** The descriptor the op ran on (null for NOP, TIMEOUT, ...), so closing it can cancel undelivered completions. */
    private Descriptor[] descriptor;
    private int size;

    CompletionHeap(RequestSlots slots, int capacity) {
        this.slots = slots;
        due = new long[capacity];
        sequence = new long[capacity];
        token = new long[capacity];
        result = new int[capacity];
        opcode = new byte[capacity];
        descriptor = new Descriptor[capacity];
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    long peekDue() {
        return due[0];
    }

    long peekToken() {
        return token[0];
    }

    int peekResult() {
        return result[0];
    }

    /** Adds a completion due at {@code dueAt}; completions due at the same time come out in the order pushed. */
    void push(long dueAt, long requestToken, int res, byte op, Descriptor on) {
        long seq = nextSequence++;
        if (size == due.length) {
            grow();
        }
        int i = size++;
        due[i] = dueAt;
        sequence[i] = seq;
        token[i] = requestToken;
        result[i] = res;
        opcode[i] = op;
        descriptor[i] = on;
        slots.move(requestToken, RequestSlots.DUE, i);
        siftUp(i);
    }

    void pop() {
        size--;
        if (size > 0) {
            move(size, 0);
            siftDown(0);
        }
        descriptor[size] = null;
    }

    long dueAt(int i) {
        return due[i];
    }

    /** The index of the first completion for {@code on} that is not yet due at {@code now}, searching from {@code from}; or -1. */
    int indexOfUndelivered(Descriptor on, long now, int from) {
        for (int i = from; i < size; i++) {
            if (descriptor[i] == on && due[i] > now) {
                return i;
            }
        }
        return -1;
    }

    int resultAt(int i) {
        return result[i];
    }

    byte opcodeAt(int i) {
        return opcode[i];
    }

    /**
     * Replaces the result at {@code i} and makes it due at {@code now}, which is not later than its
     * old due time. Sifting up moves only {@code i} and its ancestors, so entries after {@code i}
     * keep their indices: a scan may go on from {@code i + 1}.
     */
    void expedite(int i, long now, int res) {
        due[i] = now;
        result[i] = res;
        siftUp(i);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!less(i, parent)) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        for (;;) {
            int left = 2 * i + 1;
            if (left >= size) {
                return;
            }
            int right = left + 1;
            int child = right < size && less(right, left) ? right : left;
            if (!less(child, i)) {
                return;
            }
            swap(i, child);
            i = child;
        }
    }

    private boolean less(int a, int b) {
        return due[a] < due[b] || (due[a] == due[b] && sequence[a] < sequence[b]);
    }

    private void swap(int a, int b) {
        long d = due[a];
        long s = sequence[a];
        long t = token[a];
        int r = result[a];
        byte o = opcode[a];
        Descriptor on = descriptor[a];
        move(b, a);
        due[b] = d;
        sequence[b] = s;
        token[b] = t;
        result[b] = r;
        opcode[b] = o;
        descriptor[b] = on;
        slots.move(t, RequestSlots.DUE, b);
    }

    private void move(int from, int to) {
        due[to] = due[from];
        sequence[to] = sequence[from];
        token[to] = token[from];
        result[to] = result[from];
        opcode[to] = opcode[from];
        descriptor[to] = descriptor[from];
        slots.move(token[to], RequestSlots.DUE, to);
    }

    private void grow() {
        int capacity = due.length * 2;
        due = Arrays.copyOf(due, capacity);
        sequence = Arrays.copyOf(sequence, capacity);
        token = Arrays.copyOf(token, capacity);
        result = Arrays.copyOf(result, capacity);
        opcode = Arrays.copyOf(opcode, capacity);
        descriptor = Arrays.copyOf(descriptor, capacity);
    }
}
