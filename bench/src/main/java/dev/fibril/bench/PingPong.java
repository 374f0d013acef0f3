/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * Two threads handing a turn back and forth with {@link LockSupport}: each hand-off is one park of
 * the giver and one resume of the taker. The threads come from a factory, so the same code
 * measures fibrils, JDK virtual threads and platform threads.
 */
final class PingPong {
    private final Thread[] sides = new Thread[2];
    private volatile int turn;

    private PingPong() {
    }

    /** Runs {@code rounds} turns on each side (2 × rounds hand-offs) and waits for both threads. */
    static void run(ThreadFactory factory, int rounds) throws InterruptedException {
        PingPong p = new PingPong();
        // Both threads exist before either starts, so neither can unpark a side not yet created.
        p.sides[0] = factory.newThread(() -> p.play(0, rounds));
        p.sides[1] = factory.newThread(() -> p.play(1, rounds));
        if (p.sides[0] == null || p.sides[1] == null) {
            throw new IllegalStateException("thread factory refused a thread");
        }
        p.sides[1].start();
        p.sides[0].start();
        p.sides[0].join();
        p.sides[1].join();
    }

    private void play(int me, int rounds) {
        Thread other = sides[1 - me];
        for (int i = 0; i < rounds; i++) {
            while (turn != me) {
                LockSupport.park(this);
            }
            turn = 1 - me;
            LockSupport.unpark(other);
        }
    }
}
