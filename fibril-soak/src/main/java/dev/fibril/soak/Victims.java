/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The workers chaos may strike, and the chaos itself: a platform thread that, every few
 * milliseconds, interrupts a random worker's fibril (java.nio's rule: its channel closes and the
 * call throws) or closes the channel it is using from outside (the call throws
 * AsynchronousCloseException). Workers treat both as clean errors and go on with a new channel.
 */
final class Victims {
    /** One worker: its fibril and the channel it uses now (null between channels). */
    static final class Victim {
        final Thread thread;
        volatile Closeable channel;

        Victim(Thread thread) {
            this.thread = thread;
        }
    }

    private final List<Victim> victims = new CopyOnWriteArrayList<>();

    Victim register(Thread t) {
        Victim v = new Victim(t);
        victims.add(v);
        return v;
    }

    /** Runs until {@code stop}; each strike picks a victim with {@code random}. */
    Thread startChaos(AtomicBoolean stop, SplittableRandom random, Tally tally) {
        return Thread.ofPlatform().daemon().name("fibril-soak-chaos").start(() -> {
            while (!stop.get()) {
                LockSupport.parkNanos(1_000_000L + random.nextLong(4_000_000L));
                if (victims.isEmpty()) {
                    continue;
                }
                Victim v = victims.get(random.nextInt(victims.size()));
                if (random.nextBoolean()) {
                    v.thread.interrupt();
                    tally.interrupts.increment();
                } else {
                    Closeable c = v.channel;
                    if (c != null) {
                        try {
                            c.close();
                            tally.closes.increment();
                        } catch (IOException | RuntimeException e) {
                            tally.fail("closing a worker's channel from outside threw " + e);
                        }
                    }
                }
            }
        });
    }
}
