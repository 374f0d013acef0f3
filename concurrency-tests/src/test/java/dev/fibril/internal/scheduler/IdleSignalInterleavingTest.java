/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static dev.fibril.concurrency.Interleavings.check;
import static dev.fibril.concurrency.Interleavings.expectForbidden;
import static dev.fibril.concurrency.Interleavings.inParallel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The carrier's idle flag against {@link Carrier#execute} from other threads ({@link IdleSignal}):
 * the real flag and the real {@link MpscRunQueue}, a driver that sleeps the way
 * {@link CarrierLoop} does, and two submitters that offer a task each and wake the driver the way
 * {@code Carrier.wakeIfIdle} does.
 *
 * <p>Outcomes: the driver takes both tasks, sleeping zero, one or two times, each sleep ended by a
 * submitter's wake-up (allowed); the driver asleep, nobody left to wake it, a task in its queue
 * (forbidden: LOST WAKE-UP). The driver's sleep ends on a wake-up, or once both submitters have
 * finished, which is how the scenario tells a lost wake-up from a slow one.
 */
class IdleSignalInterleavingTest {
    /** The two sides of the protocol, so the broken twin runs in the same scenario. */
    interface Idle {
        void sleepUnlessQueued(MpscRunQueue queue, Runnable sleep);

        boolean claimWakeup();
    }

    static final class RealIdle implements Idle {
        private final IdleSignal signal = new IdleSignal();

        @Override
        public void sleepUnlessQueued(MpscRunQueue queue, Runnable sleep) {
            signal.sleepUnlessQueued(queue, sleep);
        }

        @Override
        public boolean claimWakeup() {
            return signal.claimWakeup();
        }
    }

    /** The broken twin: the driver looks at its queue before it publishes idle, not after. */
    static final class IdleAfterLastLook implements Idle {
        private final AtomicInteger idle = new AtomicInteger();

        @Override
        public void sleepUnlessQueued(MpscRunQueue queue, Runnable sleep) {
            if (queue.isEmpty()) {
                idle.set(1);
                sleep.run();
            }
            idle.set(0);
        }

        @Override
        public boolean claimWakeup() {
            return idle.get() == 1 && idle.compareAndSet(1, 0);
        }
    }

    static final class Scenario {
        final Idle idle;
        final MpscRunQueue queue = new MpscRunQueue();
        final AtomicInteger submittersDone = new AtomicInteger();
        volatile boolean woken;
        volatile Thread driver;
        volatile boolean lostWakeup;
        int tasksTaken;

        Scenario(Idle idle) {
            this.idle = idle;
        }

        void drive() {
            driver = Thread.currentThread();
            Runnable sleep = this::sleep;
            while (true) {
                while (queue.poll() != null) {
                    tasksTaken++;
                }
                if (tasksTaken == 2 || lostWakeup) {
                    return;
                }
                idle.sleepUnlessQueued(queue, sleep);
            }
        }

        /** The ring's sleep: ends on a wake-up, or when no submitter is left (then a wake-up was lost). */
        private void sleep() {
            while (!woken && submittersDone.get() < 2) {
                LockSupport.park(this);
            }
            if (!woken) {
                lostWakeup = true;
            }
            woken = false;
        }

        void submit() {
            queue.offer(() -> { });
            if (idle.claimWakeup()) {
                woken = true;
                LockSupport.unpark(driver);
            }
            submittersDone.incrementAndGet();
            LockSupport.unpark(driver); // the end of the scenario, not a wake-up: see sleep()
        }
    }

    private static void driverAndTwoSubmitters(Idle idle) {
        Scenario s = new Scenario(idle);
        inParallel(s, Scenario::drive, Scenario::submit, Scenario::submit);
        assertFalse(s.lostWakeup, "LOST WAKE-UP: the driver slept with a task in its queue and nobody woke it");
        assertEquals(2, s.tasksTaken, "each task is taken once");
    }

    @Test
    void shouldWakeTheDriverForEveryTaskQueuedWhileItSleeps() {
        check(() -> driverAndTwoSubmitters(new RealIdle()));
    }

    @Test
    void shouldShowTheLostWakeUpWhenIdleIsPublishedAfterTheLastLook() {
        expectForbidden("LOST WAKE-UP", () -> driverAndTwoSubmitters(new IdleAfterLastLook()));
    }
}
