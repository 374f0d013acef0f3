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
 * them; so once warm a task allocates nothing.
 *
 * <p>Tasks handed over together share one switch: the first wakes a runner (the
 * <em>collector</em>), the next ones wait in a queue, and the collector takes them in turn once its
 * own task returns, without parking between them (up to {@link #BATCH}, each a new run for the
 * hand-off monitor). A loop iteration that reaps a dozen receives thus resumes one fibril, not a
 * dozen. A collector whose task parks or blocks does not hold the others: when the carrier's loop
 * has run what was ready ({@link #afterRun}) and tasks still wait, it wakes another runner for them.
 *
 * <p>Owner only (the carrier's loop, or a fibril in a section of the carrier): the stack of idle
 * runners and the queue are confined like the descriptor pool. While the runtime closes, runners
 * still take tasks (a channel closed by the close must still see its armed receive's task run) and
 * new ones start; the close does not wait for idle ones, and once it has closed the channels
 * {@link #stop} comes as a command and ends them. A runner's thread is reused: an interrupt aimed
 * at one task's thread after the task returned would reach another's, so a task must not hand its
 * thread out.
 */
public final class Runners {
    /** Idle runners kept per carrier; a runner that finds the stack full ends. */
    static final int KEPT = 256;
    /** Tasks a runner takes from the queue in a row before it parks and leaves the rest to another. */
    static final int BATCH = 64;
    /** Tasks that can wait for a collector; when full, a task wakes a runner of its own. A power of two. */
    private static final int QUEUED = 1024;
    /** What a runner's look at the queue returns when it is to end. */
    private static final Runnable END = () -> { };

    private final Carrier carrier;
    private final Runner[] idle = new Runner[KEPT];
    /** Written by the owner only; volatile for the gauges that read it from other threads. */
    private volatile int idleCount;
    private final Runnable[] queued = new Runnable[QUEUED];
    private int queuedHead;
    private int queuedCount;
    /** The runner woken for the queue, which takes from it when its own task returns; null if none. */
    private Runner collector;
    /** The loop's runs of what is ready, counted by {@link #beforeRun}; and the one the collector was woken in. */
    private int round;
    private int collectorRound;
    private boolean stopped;

    Runners(Carrier carrier) {
        this.carrier = carrier;
    }

    /**
     * Owner: runs {@code task} on a runner of this carrier: the collector's turn, or an idle runner
     * woken for it, or a new one.
     *
     * @throws RejectedExecutionException if the runtime is closed
     */
    public void run(Runnable task) {
        if (queuedCount == QUEUED) {
            wake(task); // a queue this long means the collectors are stuck: this one goes on its own
            return;
        }
        if (collector != null) {
            queued[(queuedHead + queuedCount++) & (QUEUED - 1)] = task;
            return;
        }
        if (queuedCount == 0) {
            collector = wake(task); // refused: nothing of it is queued
            collectorRound = round;
            return;
        }
        // Older tasks wait with no collector (the last one took its batch): they go first.
        queued[(queuedHead + queuedCount++) & (QUEUED - 1)] = task;
        try {
            wakeCollector();
        } catch (RuntimeException | Error e) {
            queued[(queuedHead + --queuedCount) & (QUEUED - 1)] = null; // refused: the queue is as it was
            throw e;
        }
    }

    /** Owner, the loop, before it runs what is ready: a collector woken until now is among what it runs. */
    void beforeRun() {
        round++;
    }

    /**
     * Owner, the loop, after it ran what was ready: a collector woken before that run has run till
     * it parked or ended, so tasks still queued (its task parked, or it took its batch) get a new
     * one, and none waits for a fibril that may not come back soon. A collector woken during the run
     * has not run yet: the next run has it.
     */
    void afterRun() {
        if (collector != null && collectorRound == round) {
            return;
        }
        collector = null;
        if (queuedCount > 0) {
            try {
                wakeCollector();
            } catch (RejectedExecutionException e) {
                // the runtime is closed: no spare starts any more, and its queued tasks cannot run
            }
        }
    }

    /** Wakes a runner for the oldest queued task; if that throws, the task is queued again, first. */
    private void wakeCollector() {
        Runnable oldest = poll();
        try {
            collector = wake(oldest);
        } catch (RuntimeException | Error e) {
            queuedHead = (queuedHead - 1) & (QUEUED - 1);
            queued[queuedHead] = oldest;
            queuedCount++;
            throw e;
        }
        collectorRound = round;
    }

    private Runner wake(Runnable task) {
        if (idleCount > 0) {
            Runner r = idle[--idleCount];
            idle[idleCount] = null;
            r.hand(task);
            return r;
        }
        Runner r = new Runner(task);
        r.thread = carrier.group().fibrils().newSpare(carrier, r);
        r.thread.start();
        return r;
    }

    private Runnable poll() {
        Runnable t = queued[queuedHead];
        queued[queuedHead] = null;
        queuedHead = (queuedHead + 1) & (QUEUED - 1);
        queuedCount--;
        return t;
    }

    /**
     * Owner, {@code r} finished its task and has run {@code ran} in a row: its next task from the
     * queue; else null once it is back in the idle stack, or {@link #END} when it should end (the
     * stack is full, or the runtime closes).
     */
    private Runnable next(Runner r, int ran) {
        if (ran < BATCH && queuedCount > 0) {
            carrier.ownership().nextRun();
            return poll();
        }
        if (collector == r) {
            collector = null;
        }
        if (stopped || idleCount == KEPT) {
            return END;
        }
        idle[idleCount++] = r;
        return null;
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
                for (int ran = 1; t != null; ran++) {
                    runOne(t);
                    t = next(ran);
                    if (t == END) {
                        return;
                    }
                }
            }
        }

        private void runOne(Runnable t) {
            try {
                t.run();
            } catch (Throwable e) {
                Thread thread = Thread.currentThread();
                thread.getUncaughtExceptionHandler().uncaughtException(thread, e);
            }
            Thread.interrupted(); // a status the task left behind is not for the next task
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

        /**
         * Inside a section of the carrier (the task may have run on another thread): the next task
         * from the queue, else back to the stack (null) or {@link #END}.
         */
        private Runnable next(int ran) {
            try {
                carrier.enter();
            } catch (RuntimeClosedException e) {
                return END;
            }
            Runnable next;
            try {
                next = Runners.this.next(this, ran);
            } finally {
                carrier.exit();
            }
            if (next == null) {
                carrier.group().fibrils().spareIdled(); // outside the section: it may take a monitor
            }
            return next;
        }
    }
}
