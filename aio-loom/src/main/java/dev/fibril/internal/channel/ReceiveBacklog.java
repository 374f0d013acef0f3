/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

/**
 * The results a multishot receive got while nobody asked for them ({@link StandingReceive}): each a
 * count (or -errno) and the buffer the kernel picked (-1: none), in arrival order. Confined to the
 * carrier whose ring holds the receive. Made on the first result that has to wait; grows, by
 * doubling, only when the kernel posts more before the receive's cancel lands than it holds.
 */
final class ReceiveBacklog {
    private long[] entries = new long[StandingReceive.BACKLOG_BOUND];
    private int head;
    private int count;

    int size() {
        return count;
    }

    void offer(int result, int bufferId) {
        if (count == entries.length) {
            long[] grown = new long[entries.length * 2];
            for (int i = 0; i < count; i++) {
                grown[i] = entries[(head + i) & (entries.length - 1)];
            }
            entries = grown;
            head = 0;
        }
        entries[(head + count++) & (entries.length - 1)] = (long) result << 32 | (bufferId & 0xFFFF_FFFFL);
    }

    /** The oldest entry, removed; read it with {@link #result} and {@link #bufferId}. Not empty. */
    long poll() {
        long e = entries[head];
        head = (head + 1) & (entries.length - 1);
        count--;
        return e;
    }

    static int result(long entry) {
        return (int) (entry >> 32);
    }

    static int bufferId(long entry) {
        return (int) entry;
    }

    /** Empties the backlog, giving each picked buffer to {@code give}. */
    void drain(java.util.function.IntConsumer give) {
        while (count > 0) {
            int id = bufferId(poll());
            if (id >= 0) {
                give.accept(id);
            }
        }
    }
}
