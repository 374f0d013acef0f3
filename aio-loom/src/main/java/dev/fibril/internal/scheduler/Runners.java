/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

/**
 * A carrier's spare fibrils, which run the tasks its completions hand over: a channel waiting in
 * {@code receiveLater} holds no fibril, and the one that serves the bytes when they arrive comes
 * from here. A runner that finished its task parks here for the next one, up to {@link #KEPT} of
 * them; so once warm, a task costs an unpark, as waking a parked reader did, and no allocation.
 *
 * <p>Owner only (the carrier's loop, or a fibril in a section of the carrier): the stack of idle
 * runners is confined like the descriptor pool. While the runtime closes, runners still take tasks
 * (a channel closed by the close must still see its armed receive's task run) and new ones start;
 * the close does not wait for idle ones, and once it has closed the channels {@link #stop} comes
 * as a command and ends them. A runner's thread is reused: an interrupt aimed at one task's thread
 * after the task returned would reach another's, so a task must not hand its thread out.
 */
public final class Runners {
    /** Idle runners kept per carrier; a runner that finds the stack full ends. */
    static final int KEPT = 256;

    private final Carrier carrier;
    private final Runner[] idle = new Runner[KEPT];
    /** Written by the owner only; volatile for the gauges that read it from other threads. */
    private volatile int idleCount;
    private boolean stopped;

    Runners(Carrier carrier) {
        this.carrier = carrier;
    }

    /**
     * Owner: runs {@code task} on an idle runner of this carrier, or on a new one.
     *
     * @throws RejectedExecutionException if the runtime is closed
     */
    public void run(Runnable task) {
        if (idleCount > 0) {
            Runner r = idle[--idleCount];
            idle[idleCount] = null;
            r.hand(task);
            return;
        }
        Runner r = new Runner(task);
        r.thread = carrier.group().fibrils().newSpare(carrier, r);
        r.thread.start();
    }

    /** Owner: {@code r} finished its task; false when it should end (the stack is full, or the runtime closes). */
    private boolean keep(Runner r) {
        if (stopped || idleCount == KEPT) {
            return false;
        }
        idle[idleCount++] = r;
        return true;
    }

    /** Owner: takes {@code r} out of the idle stack, if it is there. */
    private void remove(Runner r) {
        for (int i = 0; i < idleCount; i++) {
            if (idle[i] == r) {
                idle[i] = idle[--idleCount];
                idle[idleCount] = null;
                return;
            }
        }
    }

    /** Owner (a command at the runtime's close): the idle runners end; later ones end after their task. */
    void stop() {
        stopped = true;
        while (idleCount > 0) {
            Runner r = idle[--idleCount];
            idle[idleCount] = null;
            r.end();
        }
    }

    /** Runners idle now. Any thread (a racy read for gauges). */
    public int idle() {
        return idleCount;
    }

    /** One spare fibril: runs its task, then parks in the carrier's stack for the next. */
    private final class Runner implements Runnable {
        private volatile Runnable task;
        private volatile boolean ended;
        private Thread thread;

        Runner(Runnable first) {
            this.task = first;
        }

        void hand(Runnable t) {
            task = t;
            LockSupport.unpark(thread);
        }

        void end() {
            ended = true;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            while (true) {
                Runnable t = task;
                if (t == null) {
                    if (ended) {
                        return;
                    }
                    LockSupport.park(this);
                    // While idle it is in the stack and may be handed a task at any moment: an
                    // interrupt (the close interrupts every live fibril) ends it only once it has
                    // left the stack, in case stop() never came (a carrier that failed).
                    if (Thread.interrupted() && carrier.group().isClosing()) {
                        if (leave()) {
                            return;
                        }
                        Thread.currentThread().interrupt(); // handed a task meanwhile: the close's interrupt is for it
                    }
                    continue;
                }
                task = null;
                try {
                    t.run();
                } catch (Throwable e) {
                    Thread thread = Thread.currentThread();
                    thread.getUncaughtExceptionHandler().uncaughtException(thread, e);
                }
                Thread.interrupted(); // a status the task left behind is not for the next task
                if (!goIdle()) {
                    return;
                }
            }
        }

        /** Out of the stack, if still in it, to end; false if a task was handed to it meanwhile. */
        private boolean leave() {
            try {
                carrier.enter();
            } catch (RuntimeClosedException e) {
                return task == null; // the carrier is gone: nothing hands tasks any more
            }
            try {
                if (task != null) {
                    return false;
                }
                remove(this);
                return true;
            } finally {
                carrier.exit();
            }
        }

        /** Back to the stack of the carrier, inside a section of it (the task may have run on another thread). */
        private boolean goIdle() {
            try {
                carrier.enter();
            } catch (RuntimeClosedException e) {
                return false;
            }
            boolean kept;
            try {
                kept = keep(this);
            } finally {
                carrier.exit();
            }
            if (kept) {
                carrier.group().fibrils().spareIdled(); // outside the section: it may take a monitor
            }
            return kept;
        }
    }
}
