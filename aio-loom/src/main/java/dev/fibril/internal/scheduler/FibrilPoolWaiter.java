/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.DescriptorPool;
import dev.fibril.internal.io.PoolWaiter;

import java.util.concurrent.locks.LockSupport;

/**
 * A fibril parked for a descriptor while its carrier's pool is at its bound: the pool hands a
 * released descriptor straight to the oldest waiter (no barging).
 *
 * <p>Threads: every method runs inside a section of the carrier (see {@link Ownership}), so the
 * fields need no more than the section's ordering. The grant and the fibril's look at it race
 * only across its park: the fibril looks in a section, leaves it and parks; the grant, in
 * another section, sets {@link #granted} and unparks it, and an unpark before the park leaves the
 * permit that ends it. An interrupted fibril gives up only if the pool still had it queued
 * ({@link #giveUp}): once granted, the descriptor is its to use and return. The forbidden outcomes
 * (a waiter never woken, a descriptor granted to a waiter that gave up, and so never returned)
 * are checked in concurrency-tests ({@code DescriptorHandOffInterleavingTest}); it overrides
 * {@link #wake} to count park permits, which is why this class is not final.
 */
class FibrilPoolWaiter implements PoolWaiter {
    private final Thread fibril;
    private Descriptor granted;
    private boolean refused;

    FibrilPoolWaiter(Thread fibril) {
        this.fibril = fibril;
    }

    @Override
    public void onGranted(Descriptor descriptor) {
        granted = descriptor;
        wake();
    }

    @Override
    public void onRefused() {
        refused = true;
        wake();
    }

    /** Ends the fibril's park, or its next one; a fibril that grants itself is not parked. */
    void wake() {
        if (fibril != Thread.currentThread()) {
            LockSupport.unpark(fibril);
        }
    }

    /** The descriptor the pool granted, or null while it waits. */
    Descriptor granted() {
        return granted;
    }

    boolean refused() {
        return refused;
    }

    /**
     * The interrupted fibril's way out: true if it was still queued and is now removed; false if
     * a descriptor was granted meanwhile (it must then take it) or it never was queued.
     */
    boolean giveUp(DescriptorPool pool) {
        return granted == null && pool.cancelWait(this);
    }
}
