/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.util.Arrays;

/**
 * Completions of waiting ops, posted by any thread (multi-producer) and drained by the ring's
 * owner (single consumer), as {@link PendingOp} slot numbers. Producers take the monitor; the owner
 * takes it only to swap buffers, and only after a volatile read saw something posted, so an idle
 * reap costs one volatile read. Two arrays alternate, so steady state allocates nothing.
 */
final class MpscCompletionQueue {
    private int[] posting = new int[64];
    private int[] draining = new int[64];
    private int count;
    /** Mirrors count for the owner's lock-free emptiness check. */
    private volatile int published;
    private boolean closed;

    /** Any thread. False when the queue was closed: the ring is gone and nobody will drain. */
    synchronized boolean offer(int slot) {
        if (closed) {
            return false;
        }
        if (count == posting.length) {
            posting = Arrays.copyOf(posting, count * 2);
        }
        posting[count++] = slot;
        published = count;
        return true;
    }

    /** Owner only: whether anything was posted since the last {@link #swap()}. */
    boolean isEmpty() {
        return published == 0;
    }

    /** Owner only: takes everything posted; read the slots from {@link #drained()}. Returns how many. */
    synchronized int swap() {
        int[] taken = posting;
        posting = draining;
        draining = taken;
        int n = count;
        count = 0;
        published = 0;
        return n;
    }

    /** Owner only: the array filled before the last {@link #swap()}; producers no longer write to it. */
    int[] drained() {
        return draining;
    }

    synchronized void close() {
        closed = true;
    }
}
