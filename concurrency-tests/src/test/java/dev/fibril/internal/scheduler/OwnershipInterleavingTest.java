/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static dev.fibril.concurrency.Interleavings.check;
import static dev.fibril.concurrency.Interleavings.expectForbidden;
import static dev.fibril.concurrency.Interleavings.inParallel;
import static dev.fibril.internal.scheduler.Ownership.CALL;
import static dev.fibril.internal.scheduler.Ownership.FIBRIL;
import static dev.fibril.internal.scheduler.Ownership.HANDED_OFF;
import static dev.fibril.internal.scheduler.Ownership.LOOP;
import static dev.fibril.internal.scheduler.Ownership.epoch;
import static dev.fibril.internal.scheduler.Ownership.phase;
import static dev.fibril.internal.scheduler.Ownership.word;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The carrier hand-off word ({@link Ownership}), the real class: a driving thread runs a fibril
 * that enters a section twice (each time touching the carrier's ring) and then ends its run (and,
 * if it still owns the carrier, touches the ring in its loop); meanwhile the monitor, having
 * seen the word, tries to hand the carrier off, and the spare it gives the next epoch drives the
 * ring. The section is entered with {@link Ownership#tryEnterForWakeup}, the same CAS FIBRIL ->
 * CALL as {@code enter} without the pin (which needs a real fibril).
 *
 * <p>Outcomes: no hand-off, and the driver touches the ring three times; a hand-off before a
 * section or before the run's end, and the driver stops touching the ring from that moment while
 * the spare drives it (allowed); two threads touching the ring at once (forbidden: TWO DRIVERS).
 */
class OwnershipInterleavingTest {
    /** The moves of the word that the scenario makes, so the broken twin runs in the same scenario. */
    interface Word {
        void takeOver(long epoch);

        void startFibril(long epoch);

        boolean enterSection(DriverThread dt);

        void exitSection(DriverThread dt);

        boolean endFibril(long epoch);

        long current();

        boolean tryHandOff(long observed);
    }

    static final class RealWord implements Word {
        private final Ownership ownership = new Ownership(null);

        @Override
        public void takeOver(long epoch) {
            ownership.takeOver(epoch);
        }

        @Override
        public void startFibril(long epoch) {
            ownership.startFibril(epoch);
        }

        @Override
        public boolean enterSection(DriverThread dt) {
            return ownership.tryEnterForWakeup(dt);
        }

        @Override
        public void exitSection(DriverThread dt) {
            ownership.exitWakeup(dt);
        }

        @Override
        public boolean endFibril(long epoch) {
            return ownership.endFibril(epoch);
        }

        @Override
        public long current() {
            return ownership.word();
        }

        @Override
        public boolean tryHandOff(long observed) {
            return ownership.tryHandOff(observed);
        }
    }

    /** The broken twin: a fibril enters its section by reading FIBRIL and then writing CALL, not by a CAS. */
    static final class CheckThenSetWord implements Word {
        private final AtomicLong word = new AtomicLong(word(0, LOOP));

        @Override
        public void takeOver(long epoch) {
            word.set(word(epoch, LOOP));
        }

        @Override
        public void startFibril(long epoch) {
            word.set(word(epoch, FIBRIL));
        }

        @Override
        public boolean enterSection(DriverThread dt) {
            if (word.get() != word(dt.epoch, FIBRIL)) {
                return false;
            }
            word.set(word(dt.epoch, CALL));
            dt.depth = 1;
            return true;
        }

        @Override
        public void exitSection(DriverThread dt) {
            dt.depth = 0;
            word.set(word(dt.epoch, FIBRIL));
        }

        @Override
        public boolean endFibril(long epoch) {
            return word.compareAndSet(word(epoch, FIBRIL), word(epoch, LOOP));
        }

        @Override
        public long current() {
            return word.get();
        }

        @Override
        public boolean tryHandOff(long observed) {
            return phase(observed) == FIBRIL && word.compareAndSet(observed, word(epoch(observed) + 1, HANDED_OFF));
        }
    }

    static final class Scenario {
        static final long EPOCH = 5;
        final Word word;
        final DriverThread driverThread = new DriverThread(null, "driver");
        final AtomicInteger inRing = new AtomicInteger();
        final AtomicInteger touches = new AtomicInteger();
        volatile boolean twoDrivers;
        volatile boolean handedOff;
        volatile boolean driverLost;

        Scenario(Word word) {
            this.word = word;
            word.takeOver(EPOCH);
            driverThread.epoch = EPOCH;
        }

        /** What only the owner may do: two owners at once show here. */
        void touchRing() {
            if (inRing.getAndIncrement() != 0) {
                twoDrivers = true;
            }
            touches.incrementAndGet();
            inRing.decrementAndGet();
        }

        void drive() {
            DriverThread dt = driverThread;
            dt.depth = 0;
            word.startFibril(EPOCH);
            for (int section = 0; section < 2; section++) {
                if (word.enterSection(dt)) {
                    touchRing();
                    word.exitSection(dt);
                }
            }
            if (word.endFibril(EPOCH)) {
                touchRing(); // back in the loop
            } else {
                driverLost = true; // a spare now: nothing of the carrier is this thread's
            }
        }

        void monitor() {
            long seen = word.current();
            if (word.tryHandOff(seen)) {
                handedOff = true;
                word.takeOver(epoch(seen) + 1); // the spare, given the next epoch
                touchRing();
            }
        }
    }

    private static void driverAgainstMonitor(Word word) {
        Scenario s = new Scenario(word);
        inParallel(s, Scenario::drive, Scenario::monitor);
        assertFalse(s.twoDrivers, "TWO DRIVERS: the held thread and the spare touched the carrier's ring at once");
        assertEquals(s.handedOff, s.driverLost, "the held thread learns of the hand-off exactly when there was one");
    }

    @Test
    void shouldNeverLetTheHeldThreadAndTheSpareDriveTheRingAtOnce() {
        check(() -> driverAgainstMonitor(new RealWord()));
    }

    @Test
    void shouldShowTwoDriversWhenASectionIsEnteredWithoutACas() {
        expectForbidden("TWO DRIVERS", () -> driverAgainstMonitor(new CheckThenSetWord()));
    }
}
