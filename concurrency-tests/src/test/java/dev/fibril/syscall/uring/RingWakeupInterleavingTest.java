/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.concurrency.Permit;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static dev.fibril.concurrency.Interleavings.check;
import static dev.fibril.concurrency.Interleavings.expectForbidden;
import static dev.fibril.concurrency.Interleavings.inParallel;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The io_uring ring's wake-up ({@link RingWakeup}, the real class) against a model of the kernel
 * side: an eventfd counter, the ring's one READ of it, and the CQ. Two wakers each ask for work
 * to be seen and call the ring's wake-up the way {@link IoUringRing#wakeup} does; the owner looks
 * for work and, finding none, waits the way {@link IoUringRing#await} does, then reaps the way
 * its reap does (the READ's CQE disarms it).
 *
 * <p>Outcomes: the owner sees both wakers' work, after zero, one or two waits, each ended by a
 * CQE or a pending flag (allowed); the owner blocked in the kernel with a wake-up unanswered and
 * no eventfd write to come (forbidden: LOST WAKE-UP, told by the {@link Permit} the blocked enter
 * parks on).
 */
class RingWakeupInterleavingTest {
    /** The owner's bookkeeping after the READ's CQE: the broken twin forgets to disarm. */
    interface OnReadCompletion {
        void apply(RingWakeup wake);
    }

    static final OnReadCompletion REAL = RingWakeup::onCompletion;
    static final OnReadCompletion STAYS_ARMED = wake -> { };

    /** The kernel's side, each call one atomic step: the eventfd, the ring's READ of it, the CQ. */
    static final class Kernel {
        private long counter;
        private boolean readInKernel;
        private int cqes;
        private Permit enterWaiter;

        synchronized void eventfdWrite() {
            counter++;
            if (readInKernel) {
                completeRead();
            }
        }

        /** io_uring_enter with GETEVENTS: submits the READ if it was armed now, and waits for one CQE. */
        void enterAndWait(boolean submitRead, Permit permit) {
            synchronized (this) {
                if (submitRead) {
                    readInKernel = true;
                    if (counter > 0) {
                        completeRead();
                    }
                }
                if (cqes > 0) {
                    return;
                }
                enterWaiter = permit;
            }
            permit.park();
            synchronized (this) {
                enterWaiter = null;
            }
        }

        private void completeRead() {
            counter = 0;
            readInKernel = false;
            cqes++;
            if (enterWaiter != null) {
                enterWaiter.unpark();
            }
        }

        synchronized boolean cqEmpty() {
            return cqes == 0;
        }

        /** Reaps the CQ; true if the READ's CQE was there. */
        synchronized boolean reap() {
            boolean read = cqes > 0;
            cqes = 0;
            return read;
        }
    }

    static final class Scenario {
        final OnReadCompletion onRead;
        final RingWakeup wake = new RingWakeup();
        final Kernel kernel = new Kernel();
        final AtomicInteger work = new AtomicInteger();
        final AtomicInteger wakersDone = new AtomicInteger();
        volatile Permit permit;

        Scenario(OnReadCompletion onRead) {
            this.onRead = onRead;
        }

        void own() {
            Permit p = new Permit();
            permit = p;
            while (work.get() < 2 && !p.lost()) {
                await(p);
                if (kernel.reap()) {
                    onRead.apply(wake);
                }
            }
        }

        /** IoUringRing.await with an infinite timeout, on the model kernel. */
        private void await(Permit p) {
            if (wake.takePending()) {
                return;
            }
            if (!kernel.cqEmpty()) {
                return;
            }
            boolean arm = !wake.armed(); // ensureWakeupArmed
            if (arm) {
                wake.onArmed();
            }
            kernel.enterAndWait(arm, p);
            wake.answered();
        }

        void wakeUp() {
            work.incrementAndGet();
            if (wake.signal()) {
                kernel.eventfdWrite();
            }
            Permit p = permit;
            if (wakersDone.incrementAndGet() == 2 && p != null) {
                p.over();
            }
        }
    }

    private static void ownerAndTwoWakers(OnReadCompletion onRead) {
        Scenario s = new Scenario(onRead);
        inParallel(s, Scenario::own, Scenario::wakeUp, Scenario::wakeUp);
        assertFalse(s.permit.lost(), "LOST WAKE-UP: the owner blocked in io_uring_enter after a wake-up that no eventfd write answers");
    }

    @Test
    void shouldEndTheOwnersWaitForEveryWakeUp() {
        check(() -> ownerAndTwoWakers(REAL));
    }

    @Test
    void shouldShowTheLostWakeUpWhenTheReadIsNotArmedAgainAfterItsCompletion() {
        expectForbidden("LOST WAKE-UP", () -> ownerAndTwoWakers(STAYS_ARMED));
    }
}
