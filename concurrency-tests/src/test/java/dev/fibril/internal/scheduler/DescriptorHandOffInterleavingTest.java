/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.DescriptorPool;
import dev.fibril.concurrency.Permit;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import static dev.fibril.concurrency.Interleavings.check;
import static dev.fibril.concurrency.Interleavings.expectForbidden;
import static dev.fibril.concurrency.Interleavings.inParallel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The descriptor pool's hand-off to a parked waiter (back-pressure): the real
 * {@link DescriptorPool} at its bound of one and the real {@link FibrilPoolWaiter}. One fibril
 * waits for a descriptor the way {@code IoCalls.awaitGranted} does (look in a section, leave it,
 * park, enter again; give up if interrupted); another ends its call and releases the only
 * descriptor; a third thread interrupts the waiter. A lock stands for the carrier's sections: the
 * pool is touched by one thread at a time, as {@link Ownership} guarantees.
 *
 * <p>Outcomes: the waiter gets the released descriptor (allowed); the waiter gives up before the
 * release, and the descriptor goes back to the free stack (allowed); the waiter gives up after it
 * was granted one, which nobody will return (forbidden: DESCRIPTOR LOST); the waiter parked for
 * good after the grant (forbidden: LOST WAKE-UP, told by a {@link Permit}).
 */
class DescriptorHandOffInterleavingTest {
    /** How an interrupted waiter leaves the queue; the broken twin replaces it. */
    interface GiveUp {
        boolean giveUp(FibrilPoolWaiter waiter, DescriptorPool pool);
    }

    static final GiveUp REAL = FibrilPoolWaiter::giveUp;

    /** The broken twin: the waiter leaves without asking whether it was granted a descriptor meanwhile. */
    static final GiveUp WITHOUT_LOOKING = (waiter, pool) -> {
        pool.cancelWait(waiter);
        return true;
    };

    static final class Scenario {
        final GiveUp giveUp;
        final DescriptorPool pool = new DescriptorPool(1, 1);
        final Descriptor held = pool.tryAcquire();
        final ReentrantLock section = new ReentrantLock();
        volatile Permit permit;
        final AtomicInteger othersDone = new AtomicInteger();
        volatile boolean interrupted;
        volatile boolean gaveUp;
        volatile Descriptor got;

        Scenario(GiveUp giveUp) {
            this.giveUp = giveUp;
        }

        void waitForDescriptor() {
            Permit p = new Permit();
            permit = p;
            section.lock();
            try {
                Descriptor d = pool.tryAcquire();
                if (d != null) {
                    got = d; // the release came first: no wait
                    pool.release(d);
                    return;
                }
                FibrilPoolWaiter waiter = new FibrilPoolWaiter(Thread.currentThread()) {
                    @Override
                    void wake() {
                        p.unpark();
                    }
                };
                pool.await(waiter);
                while (waiter.granted() == null) {
                    section.unlock(); // parkOutside: the section is left for the park
                    p.park();
                    section.lock();
                    if (interrupted && giveUp.giveUp(waiter, pool)) {
                        gaveUp = true; // ClosedByInterruptException in the runtime
                        return;
                    }
                }
                got = waiter.granted();
                pool.release(got); // the call ends
            } finally {
                section.unlock();
            }
        }

        void endOtherCall() {
            section.lock();
            try {
                pool.release(held);
            } finally {
                section.unlock();
            }
            done();
        }

        void interrupt() {
            interrupted = true;
            Permit p = permit;
            if (p != null) {
                p.unpark(); // an interrupt ends a park too
            }
            done();
        }

        /** The releaser and the interrupter: once both ended, nothing will wake the waiter. */
        private void done() {
            Permit p = permit;
            if (othersDone.incrementAndGet() == 2 && p != null) {
                p.over();
            }
        }
    }

    private static void waiterReleaserInterrupter(GiveUp giveUp) {
        Scenario s = new Scenario(giveUp);
        inParallel(s, Scenario::waitForDescriptor, Scenario::endOtherCall, Scenario::interrupt);
        assertFalse(s.permit.lost(), "LOST WAKE-UP: the waiter parked with a descriptor granted and nothing woke it");
        assertEquals(0, s.pool.inUse(), s.gaveUp
                ? "DESCRIPTOR LOST: granted to a waiter that gave up, so never returned"
                : "every descriptor is back in the pool");
        if (!s.gaveUp) {
            assertSame(s.held, s.got, "the waiter got the released descriptor");
        }
        assertSame(s.held, s.pool.tryAcquire(), "the descriptor can be taken again");
    }

    @Test
    void shouldHandTheReleasedDescriptorToTheWaiterOrBackToThePoolNeverLoseIt() {
        check(() -> waiterReleaserInterrupter(REAL));
    }

    @Test
    void shouldShowTheLostDescriptorWhenAnInterruptedWaiterLeavesWithoutLooking() {
        expectForbidden("DESCRIPTOR LOST", () -> waiterReleaserInterrupter(WITHOUT_LOOKING));
    }
}
