/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * The phase of a foreign request, and the hand-off between its caller (a thread that is
 * not a fibril of the carrier, {@link ForeignRequest}) and the carrier that runs it ({@link ForeignCommand}):
 *
 * <pre>
 *  IDLE -> QUEUED        caller: {@link #queue}, before it offers the command to the carrier
 *  QUEUED -> STARTED     carrier: {@link #start} (CAS)
 *  QUEUED -> ABANDONED   carrier terminating ({@link #abandonQueued}, CAS), or the caller that
 *                        saw the carrier terminated (the same CAS, in {@link #await})
 *  STARTED -> DONE | ABANDONED | FAILED   carrier: {@link #end} (completed, refused, ring failed)
 *  DONE -> QUEUED        caller: a follow-up request with the same object
 * </pre>
 *
 * Only QUEUED has two movers, and both move it by CAS: a request is started or abandoned, never
 * both. The caller offers its command, then reads whether the carrier terminated, before each
 * park; the carrier publishes TERMINATED, then drains its queue and abandons what it finds: so a
 * command that arrives too late to be drained is seen by its caller, which abandons it itself.
 * The forbidden outcomes are a double outcome (started and abandoned) and a lost completion (the
 * caller parked for good after its request ended); the interleaving check is
 * {@code ForeignPhaseInterleavingTest} in concurrency-tests.
 *
 * <p>Not final for that check alone: it overrides {@link #parkCaller} and {@link #wakeCaller} to
 * count park permits, since a park may return spuriously, which would hide a lost wake-up.
 */
class ForeignPhase {
    static final int IDLE = 0;
    static final int QUEUED = 1;
    static final int STARTED = 2;
    static final int DONE = 3;
    static final int ABANDONED = 4;
    static final int FAILED = 5;
    private static final VarHandle PHASE;

    static {
        try {
            PHASE = MethodHandles.lookup().findVarHandle(ForeignPhase.class, "phase", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The caller's side of the hand-off: what it asks of the carrier while it waits. */
    interface Caller {
        /** Whether the carrier terminated: nothing will run a command offered to it any more. */
        boolean carrierTerminated();

        /** The caller was interrupted: ask the carrier to cancel the request (once per wait). */
        void requestCancel();
    }

    private final Thread caller;
    @SuppressWarnings("unused") // accessed through PHASE
    private volatile int phase = IDLE;

    ForeignPhase(Thread caller) {
        this.caller = caller;
    }

    int get() {
        return (int) PHASE.getVolatile(this);
    }

    /** Caller, before it offers the command: IDLE or DONE -> QUEUED. */
    void queue() {
        PHASE.setVolatile(this, QUEUED);
    }

    /** Carrier: QUEUED -> STARTED; false if abandoned meanwhile or already started (a stale command). */
    boolean start() {
        return PHASE.compareAndSet(this, QUEUED, STARTED);
    }

    /** Carrier, terminating, for a command it will never run: QUEUED -> ABANDONED, and the caller is woken. */
    void abandonQueued() {
        if (PHASE.compareAndSet(this, QUEUED, ABANDONED)) {
            wakeCaller();
        }
    }

    /** Carrier: STARTED -> {@code outcome} (DONE, ABANDONED or FAILED), and the caller is woken. What it reads is written before. */
    void end(int outcome) {
        PHASE.setVolatile(this, outcome);
        wakeCaller();
    }

    /**
     * Caller: parks until the request ended, and returns how (DONE, ABANDONED or FAILED). An
     * interrupt asks {@code side} to cancel and goes on waiting (the kernel may still write the
     * caller's buffer until the request ends); the interrupt status is restored before returning.
     */
    int await(Caller side) {
        boolean interrupted = false;
        int p;
        while (true) {
            p = get();
            if (p == DONE || p == FAILED || p == ABANDONED) {
                break;
            }
            if (side.carrierTerminated() && PHASE.compareAndSet(this, QUEUED, ABANDONED)) {
                p = ABANDONED;
                break;
            }
            parkCaller();
            if (Thread.interrupted() && !interrupted) {
                interrupted = true;
                side.requestCancel();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return p;
    }

    /** Caller: waits for {@link #wakeCaller} (or an interrupt, or nothing: it may return spuriously). */
    void parkCaller() {
        LockSupport.park(this);
    }

    /** Carrier: ends the caller's {@link #parkCaller}, or the next one. */
    void wakeCaller() {
        LockSupport.unpark(caller);
    }
}
