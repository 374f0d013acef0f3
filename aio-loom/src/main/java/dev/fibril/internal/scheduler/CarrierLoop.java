/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A carrier's loop, run by whichever {@link DriverThread} drives the carrier now.
 *
 * <p>One iteration: move cross-thread wake-ups to the local queue; run the fibrils that are ready
 * now (those they wake run next iteration, so their submissions batch together); hand every SQE
 * written meanwhile to the kernel in one flush; reap completions, which makes their fibrils ready
 * on this carrier with no cross-thread hand-off; when nothing is ready, sleep in the ring until a
 * completion or a wake-up.
 *
 * <p>Each fibril runs in the FIBRIL phase of {@link Ownership}; the loop's own work (commands
 * included) in the LOOP phase, where the carrier cannot be handed off. A run after which the
 * carrier turns out to be handed off ends the loop on this thread at once: nothing of the
 * carrier is this thread's any more.
 *
 * <p>Error policy: an iteration that throws is logged and counted, and the loop goes on;
 * {@link IoDriver#MAX_FAILURES} in a row give the ring up (FAILED): the loop then runs fibrils
 * without a ring (their I/O calls throw) until the runtime stops it.
 *
 * <p>Shutdown steps 2 to 4 happen here (step 1 is {@link Carrier#stop}, step 5 the thread's end):
 * (2) the first idle iteration after STOPPING cancels everything in flight, once; (3) the loop
 * reaps until the ring holds nothing: past the deadline no new request starts, but a request still
 * in the kernel is waited for, since it may still write its buffer; (4) {@link #terminate}:
 * TERMINATED, queued commands abandoned, descriptor waiters refused, ring and pipes released.
 */
final class CarrierLoop {
    private static final System.Logger LOG = System.getLogger("dev.fibril");
    private static final long STOPPING_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int CONTINUE = 0;
    private static final int LOST = 1;
    private static final int ENDED = 2;

    private final Carrier carrier;
    private final IoDriver io;
    private final CarrierStats stats;
    private final LocalRunQueue local;
    private final MpscRunQueue remote;
    private final IdleSignal idle;
    /** The loop's three ways to sleep, made once: the idle path allocates nothing. */
    private final Runnable awaitRing;
    private final Runnable awaitRingStopping;
    private final Runnable parkOnPermit;
    private boolean cancelledAllForStop;
    private boolean warnedPastDeadline;

    CarrierLoop(Carrier carrier) {
        this.carrier = carrier;
        this.io = carrier.io();
        this.stats = carrier.stats();
        this.local = carrier.local();
        this.remote = carrier.remote();
        this.idle = carrier.idleSignal();
        this.awaitRing = () -> io.await(-1);
        this.awaitRingStopping = () -> io.await(STOPPING_WAIT_NANOS);
        this.parkOnPermit = () -> LockSupport.park(carrier);
    }

    /**
     * Runs the loop on {@code dt}, which was given {@code epoch}. Returns true if the carrier was
     * handed off while a fibril held this thread (the thread then becomes a spare), false once the
     * carrier terminated.
     */
    boolean drive(DriverThread dt, long epoch) {
        int failures = 0;
        if (!carrier.lifecycle().failed()) {
            try {
                io.ring().start(); // the first driver binds the ring to its thread; later ones find it started
            } catch (RuntimeException e) {
                failures = onLoopFailure(e, failures);
            }
        }
        while (true) {
            int outcome;
            try {
                outcome = carrier.lifecycle().failed() ? runWithoutRing(dt, epoch) : runIteration(dt, epoch);
                failures = 0;
            } catch (Throwable t) {
                failures = onLoopFailure(t, failures);
                continue;
            }
            if (outcome == LOST) {
                return true;
            }
            if (outcome == ENDED) {
                terminate();
                return false;
            }
        }
    }

    private int runIteration(DriverThread dt, long epoch) {
        if (!runReady(dt, epoch)) {
            return LOST;
        }
        io.rethrowDeferredFailure();
        dev.fibril.internal.io.ReceiveBuffers buffers = carrier.receiveBuffersIfMade();
        if (buffers != null) {
            buffers.drainReturns(); // what readers on other threads released
        }
        io.flush();
        io.reapAvailable();
        if (!local.isEmpty() || !remote.isEmpty() || io.hasPendingWork()) {
            return CONTINUE; // reaping may have resubmitted retries: they must reach the kernel first
        }
        boolean stopping = carrier.lifecycle().stopping();
        if (stopping && readyToTerminate()) {
            return ENDED;
        }
        idle.sleepUnlessQueued(remote, stopping ? awaitRingStopping : awaitRing);
        carrier.group().handoffs().carrierBusy();
        return CONTINUE;
    }

    /**
     * The loop of a failed carrier: its fibrils still run (each I/O call now throws), the ring is
     * left alone. It sleeps on the thread's park permit, which {@link Carrier#execute} gives.
     */
    private int runWithoutRing(DriverThread dt, long epoch) {
        if (!runReady(dt, epoch)) {
            return LOST;
        }
        if (!local.isEmpty() || !remote.isEmpty()) {
            return CONTINUE;
        }
        if (carrier.lifecycle().stopping()) {
            return ENDED;
        }
        idle.sleepUnlessQueued(remote, parkOnPermit);
        return CONTINUE;
    }

    /** Runs what is ready now; false if the carrier was handed off meanwhile (nothing here is ours then). */
    private boolean runReady(DriverThread dt, long epoch) {
        Runnable task;
        while ((task = remote.poll()) != null) {
            local.offer(task);
        }
        carrier.runners().beforeRun();
        for (int budget = local.size(); budget > 0; budget--) {
            if (!runTask(local.poll(), dt, epoch)) {
                return false;
            }
        }
        carrier.runners().afterRun(); // tasks a parked collector left get a runner before the loop may sleep
        return true;
    }

    private boolean runTask(Runnable task, DriverThread dt, long epoch) {
        stats.tasksRun++;
        if (task instanceof CarrierCommand) {
            runLogged(task); // the loop's own work: never handed off half-way
            return true;
        }
        dt.depth = 0;
        carrier.ownership().startFibril(epoch);
        runLogged(task);
        if (!carrier.ownership().endFibril(epoch)) {
            return false;
        }
        dt.depth = 1;
        return true;
    }

    private void runLogged(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "task failed on carrier " + carrier.index(), t);
        }
    }

    /** One bad iteration must not strand the carrier's fibrils; a ring that keeps failing is given up. */
    private int onLoopFailure(Throwable t, int failuresBefore) {
        stats.loopFailures++;
        int failures = failuresBefore + 1;
        if (carrier.lifecycle().failed()) {
            return failures;
        }
        if (failures >= IoDriver.MAX_FAILURES) {
            carrier.move(CarrierLifecycle::whenFailed);
            io.fail(t);
        } else {
            LOG.log(System.Logger.Level.WARNING, "Fibril carrier " + carrier.index() + ": loop iteration failed ("
                    + failures + " of " + IoDriver.MAX_FAILURES + " in a row); going on", t);
        }
        return failures;
    }

    /** Steps 2 and 3: the first call cancels everything in flight; then true once the ring holds nothing. */
    private boolean readyToTerminate() {
        if (!cancelledAllForStop) {
            cancelledAllForStop = true;
            io.cancelAll();
            io.flush();
            return false;
        }
        int inFlight = io.ring().inFlight();
        if (inFlight == 0) {
            return true;
        }
        if (!warnedPastDeadline && System.nanoTime() - carrier.stopDeadlineNanos() > 0) {
            warnedPastDeadline = true;
            LOG.log(System.Logger.Level.WARNING, "Fibril carrier " + carrier.index() + ": " + inFlight
                    + " request(s) still in the kernel after the close deadline; their callers are released "
                    + "when the kernel completes them");
        }
        return false;
    }

    /** Step 4. Commands that race with it are failed by their senders (see {@link Carrier#isTerminated}). */
    private void terminate() {
        carrier.move(from -> CarrierLifecycle.TERMINATED);
        Runnable task;
        while ((task = remote.poll()) != null) {
            if (task instanceof CarrierCommand command) {
                command.abandon();
            }
        }
        io.refuseWaiters();
        io.release();
        carrier.freeBuffers();
        carrier.terminated();
    }
}
