/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.concurrency.Permit;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.fibril.concurrency.Interleavings.check;
import static dev.fibril.concurrency.Interleavings.expectForbidden;
import static dev.fibril.concurrency.Interleavings.inParallel;
import static dev.fibril.internal.scheduler.ForeignPhase.ABANDONED;
import static dev.fibril.internal.scheduler.ForeignPhase.DONE;
import static dev.fibril.internal.scheduler.ForeignPhase.QUEUED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A foreign call's hand-off ({@link ForeignPhase}, the real class) against its carrier's last
 * iteration and termination. The caller queues its request, offers the command to the carrier's
 * real {@link MpscRunQueue} and waits; the carrier runs what it finds in one iteration (the
 * request completes at once), then terminates as {@code CarrierLoop.terminate} does: TERMINATED
 * first, then the queue drained and each command abandoned.
 *
 * <p>Outcomes: DONE with the carrier's result, started once (allowed); ABANDONED, never started,
 * because the command came after the iteration, drained or seen by the caller (allowed); started
 * and abandoned (forbidden: DOUBLE OUTCOME); the caller parked for good after its request ended
 * (forbidden: LOST COMPLETION, told by a {@link Permit}: the carrier is gone and the caller parks
 * with no permit to come).
 */
class ForeignPhaseInterleavingTest {
    /** The moves of the phase that the scenario makes, so the broken twin runs in the same scenario. */
    interface Phase {
        void queue();

        boolean start();

        void abandonQueued();

        void end(int outcome);

        int await(ForeignPhase.Caller side);
    }

    /** The real phase; only its park and unpark count permits (see {@link Permit}). */
    static final class RealPhase implements Phase {
        private final Permit permit;
        private final ForeignPhase phase;

        RealPhase(Permit permit) {
            this.permit = permit;
            this.phase = new ForeignPhase(Thread.currentThread()) {
                @Override
                void parkCaller() {
                    permit.park();
                }

                @Override
                void wakeCaller() {
                    permit.unpark();
                }
            };
        }

        @Override
        public void queue() {
            phase.queue();
        }

        @Override
        public boolean start() {
            return phase.start();
        }

        @Override
        public void abandonQueued() {
            phase.abandonQueued();
        }

        @Override
        public void end(int outcome) {
            phase.end(outcome);
        }

        @Override
        public int await(ForeignPhase.Caller side) {
            return phase.await(side);
        }
    }

    /** The broken twin: the carrier wakes the caller before it publishes the outcome, not after. */
    static final class WakeBeforePublish implements Phase {
        private static final VarHandle PHASE;

        static {
            try {
                PHASE = MethodHandles.lookup().findVarHandle(WakeBeforePublish.class, "phase", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Permit permit;
        @SuppressWarnings("unused") // through PHASE
        private volatile int phase;

        WakeBeforePublish(Permit permit) {
            this.permit = permit;
        }

        @Override
        public void queue() {
            PHASE.setVolatile(this, QUEUED);
        }

        @Override
        public boolean start() {
            return PHASE.compareAndSet(this, QUEUED, ForeignPhase.STARTED);
        }

        @Override
        public void abandonQueued() {
            if (PHASE.compareAndSet(this, QUEUED, ABANDONED)) {
                permit.unpark();
            }
        }

        @Override
        public void end(int outcome) {
            permit.unpark();
            PHASE.setVolatile(this, outcome);
        }

        @Override
        public int await(ForeignPhase.Caller side) {
            while (true) {
                int p = (int) PHASE.getVolatile(this);
                if (p == DONE || p == ABANDONED) {
                    return p;
                }
                if (side.carrierTerminated() && PHASE.compareAndSet(this, QUEUED, ABANDONED)) {
                    return ABANDONED;
                }
                permit.park();
            }
        }
    }

    static final class Scenario {
        final boolean broken;
        final MpscRunQueue queue = new MpscRunQueue();
        final AtomicInteger started = new AtomicInteger();
        volatile boolean terminated;
        volatile int result;
        volatile int outcome;
        volatile Permit permit;

        Scenario(boolean broken) {
            this.broken = broken;
        }

        /** The caller thread: the phase is made on it, as ForeignRequest's constructor does. */
        void call() {
            Permit p = new Permit();
            permit = p;
            Phase phase = broken ? new WakeBeforePublish(p) : new RealPhase(p);
            phase.queue();
            queue.offer(new Command(this, phase));
            outcome = phase.await(new ForeignPhase.Caller() {
                @Override
                public boolean carrierTerminated() {
                    return terminated;
                }

                @Override
                public void requestCancel() {
                    throw new AssertionError("nobody interrupts the caller here");
                }
            });
        }

        void lastIterationThenTerminate() {
            Runnable command = queue.poll();
            if (command != null) {
                command.run();
            }
            terminated = true; // TERMINATED first, then the drain (see ForeignPhase)
            while ((command = queue.poll()) != null) {
                ((CarrierCommand) command).abandon();
            }
            Permit p = permit;
            if (p != null) {
                p.over(); // the carrier is gone: nothing wakes the caller any more
            }
        }
    }

    /** What ForeignCommand does on the carrier, cut to the phase: start, complete with a result, or abandon. */
    record Command(Scenario scenario, Phase phase) implements CarrierCommand {
        @Override
        public void run() {
            if (phase.start()) {
                scenario.started.incrementAndGet();
                scenario.result = 42;
                phase.end(DONE);
            }
        }

        @Override
        public void abandon() {
            phase.abandonQueued();
        }
    }

    private static void callerAgainstTerminatingCarrier(boolean broken) {
        Scenario s = new Scenario(broken);
        inParallel(s, Scenario::call, Scenario::lastIterationThenTerminate);
        assertFalse(s.permit.lost(), "LOST COMPLETION: the caller parked after its request ended, and nothing woke it");
        if (s.outcome == DONE) {
            assertEquals(1, s.started.get(), "started once");
            assertEquals(42, s.result, "the caller reads the carrier's result");
        } else {
            assertEquals(ABANDONED, s.outcome);
            assertEquals(0, s.started.get(), "DOUBLE OUTCOME: the caller was told its request was not started, yet it was");
        }
    }

    @Test
    void shouldEndEveryForeignCallOnceAndWakeItsCaller() {
        check(() -> callerAgainstTerminatingCarrier(false));
    }

    @Test
    void shouldShowTheLostCompletionWhenTheCallerIsWokenBeforeTheOutcomeIsPublished() {
        expectForbidden("LOST COMPLETION", () -> callerAgainstTerminatingCarrier(true));
    }
}
