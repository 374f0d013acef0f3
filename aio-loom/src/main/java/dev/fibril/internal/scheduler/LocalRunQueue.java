/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

/**
 * FIFO of ready tasks, touched only by its carrier thread (and the fibrils running on it, which
 * run on that same thread): no synchronization at all. An array ring that doubles when full, so
 * that a steady state of wake-ups allocates nothing.
 */
final class LocalRunQueue {
    private Runnable[] tasks;
    private int head; // next to take
    private int size;

    LocalRunQueue(int initialCapacity) {
        tasks = new Runnable[Integer.highestOneBit(Math.max(16, initialCapacity - 1)) << 1];
    }

    void offer(Runnable task) {
        if (size == tasks.length) {
            grow();
        }
        tasks[(head + size) & (tasks.length - 1)] = task;
        size++;
    }

    /** The oldest task, or null when empty. */
    Runnable poll() {
        if (size == 0) {
            return null;
        }
        Runnable task = tasks[head];
        tasks[head] = null;
        head = (head + 1) & (tasks.length - 1);
        size--;
        return task;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    private void grow() {
        Runnable[] bigger = new Runnable[tasks.length << 1];
        for (int i = 0; i < size; i++) {
            bigger[i] = tasks[(head + i) & (tasks.length - 1)];
        }
        tasks = bigger;
        head = 0;
    }
}
