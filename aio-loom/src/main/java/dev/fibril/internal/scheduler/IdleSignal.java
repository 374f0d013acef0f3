/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A carrier's idle flag: the hand-off between a thread that queues work for the carrier (any
 * thread) and the carrier's driver about to sleep (one thread at a time, the owner).
 *
 * <pre>
 *  driver:    idle = true; look at the queue; sleep only if it is empty; idle = false
 *  submitter: offer to the queue; if idle, CAS idle true -> false and wake the ring
 * </pre>
 *
 * Each side writes its own location, then reads the other's, all volatile: whichever runs second
 * sees the first, so either the driver sees the task and does not sleep, or the submitter sees
 * idle and wakes it. The CAS lets one submitter of many pay for the ring's wake-up. The forbidden
 * outcome is a lost wake-up: the driver asleep while a task waits in its queue. The interleaving
 * check is {@code IdleSignalInterleavingTest} in concurrency-tests.
 */
final class IdleSignal {
    private static final VarHandle IDLE;

    static {
        try {
            IDLE = MethodHandles.lookup().findVarHandle(IdleSignal.class, "idle", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through IDLE
    private volatile boolean idle;

    /**
     * Driver: runs {@code sleep} unless {@code queue} holds work, with idle published before the
     * last look at it (and withdrawn after).
     */
    void sleepUnlessQueued(MpscRunQueue queue, Runnable sleep) {
        IDLE.setVolatile(this, true);
        if (queue.isEmpty()) {
            sleep.run();
        }
        IDLE.setVolatile(this, false);
    }

    /**
     * Any thread, after its offer to the queue: true if the driver may be asleep and this caller
     * is the one to wake it (idle is withdrawn, so later submitters do not wake it again).
     */
    boolean claimWakeup() {
        // A plain volatile read first: a busy carrier is not idle, and the CAS would only bounce its line.
        return (boolean) IDLE.getVolatile(this) && IDLE.compareAndSet(this, true, false);
    }

    /** Sleeping, or about to sleep (the monitor's view). Any thread. */
    boolean isIdle() {
        return (boolean) IDLE.getVolatile(this);
    }
}
