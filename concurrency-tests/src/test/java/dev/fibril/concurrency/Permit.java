/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.concurrency;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread's park permit, without spurious wake-ups, for scenarios whose protocol wakes a
 * thread with {@code LockSupport.unpark}. The checker lets every park return spuriously (the JDK
 * allows it), so a protocol that loses an unpark still ends under it; here a park returns only
 * for a permit, or once the scenario's other threads are over, and then the wake-up was lost.
 */
public final class Permit {
    private final Thread owner = Thread.currentThread();
    private final AtomicBoolean available = new AtomicBoolean();
    private volatile boolean over;
    private volatile boolean lost;

    /** Made on the thread that parks on it. */
    public Permit() {
    }

    /** Owner: returns once a permit is there (and takes it), or once the scenario is over (a lost wake-up). */
    public void park() {
        while (!available.getAndSet(false)) {
            if (over) {
                // Every permit was given before over: one that came since the look above is here now.
                lost = !available.getAndSet(false);
                return;
            }
            LockSupport.park(this);
        }
    }

    /** Any thread: gives the permit. */
    public void unpark() {
        available.set(true);
        LockSupport.unpark(owner);
    }

    /** The scenario's other threads have all ended: nobody will give a permit any more. */
    public void over() {
        over = true;
        LockSupport.unpark(owner);
    }

    /** Whether the owner parked with no permit to come. */
    public boolean lost() {
        return lost;
    }
}
