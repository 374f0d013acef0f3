/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.internal.jdk.VirtualThreadBridge;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fibrils of one {@link CarrierGroup}: their creation and placement on a carrier, the hand-over
 * of tasks to spare fibrils ({@link #dispatch}), and the counts that {@code close()} waits on.
 *
 * <p>Placement: a fibril started from outside goes to the next carrier in turn; one started by a
 * fibril stays on its parent's carrier unless another carrier is less busy (fibrils alive but for
 * idle spares, plus descriptors in use). Every exit while the runtime closes wakes {@link #awaitStartedEnded}.
 */
final class Fibrils {
    private final CarrierGroup group;
    private final Carrier[] carriers;
    private final ThreadFactory[] factories;
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger alive = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();
    private final AtomicInteger nextCarrier = new AtomicInteger();
    /** The monitor close() waits on for exits. */
    private final Object exits = new Object();

    Fibrils(CarrierGroup group, Carrier[] carriers, boolean customScheduler) {
        this.group = group;
        this.carriers = carriers;
        this.factories = new ThreadFactory[carriers.length];
        for (int i = 0; i < carriers.length; i++) {
            factories[i] = customScheduler
                    ? VirtualThreadBridge.newVirtualThreadBuilder(carriers[i]).name("fibril-" + i + "-", 0).factory()
                    : Thread.ofVirtual().name("fibril-d" + i + "-", 0).factory();
        }
    }

    /** Creates an unstarted fibril that runs {@code task}; it counts as live from now on. */
    Thread newFibril(Runnable task) {
        return newFibrilOn(null, task, false);
    }

    /** A spare fibril of {@code home} ({@link Runners}): also while the runtime closes, until it is closed. */
    Thread newSpare(Carrier home, Runnable task) {
        return newFibrilOn(home, task, true);
    }

    /** As {@link #newFibril}, with its home on {@code home} (null: the carrier placement picks). */
    private Thread newFibrilOn(Carrier home, Runnable task, boolean spare) {
        if (task == null) {
            throw new NullPointerException("task");
        }
        alive.incrementAndGet();
        CarrierGroup.State state = group.state();
        if (spare ? state == CarrierGroup.State.CLOSED : state != CarrierGroup.State.OPEN) {
            exited(null);
            throw refused(state);
        }
        if (home == null) {
            home = place();
        }
        Carrier carrier = home;
        home.alive().incrementAndGet();
        Thread[] self = new Thread[1];
        Thread t = factories[home.index()].newThread(() -> {
            try {
                task.run();
            } finally {
                carrier.alive().decrementAndGet();
                exited(self[0]);
            }
        });
        self[0] = t;
        live.add(t);
        started.incrementAndGet();
        return t;
    }

    private static RejectedExecutionException refused(CarrierGroup.State state) {
        return new RejectedExecutionException("Fibril runtime is " + state.name().toLowerCase() + ": no new fibrils");
    }

    Thread start(Runnable task) {
        Thread t = newFibril(task);
        t.start();
        return t;
    }

    /** Runs {@code task} on a spare fibril of the calling fibril's carrier, or a new fibril off one (see {@link Runners}). */
    void dispatch(Runnable task) {
        Objects.requireNonNull(task, "task");
        Carrier c = Carrier.current();
        if (c == null || c.group() != group || !Thread.currentThread().isVirtual()) {
            start(task);
            return;
        }
        CarrierGroup.State state = group.state();
        if (state != CarrierGroup.State.OPEN) {
            throw refused(state);
        }
        try {
            c.enter();
        } catch (RuntimeClosedException e) {
            throw new RejectedExecutionException(e.getMessage(), e);
        }
        try {
            c.runners().run(task);
        } finally {
            c.exit();
        }
    }

    /** A spare went idle: while closing, close() counts it as done with its work, so it looks again. */
    void spareIdled() {
        if (group.state() != CarrierGroup.State.OPEN) {
            wakeClose();
        }
    }

    private void exited(Thread t) {
        if (t != null) {
            live.remove(t);
        }
        // every exit while closing wakes close(): it waits for the started fibrils only, so the
        // count it waits for need not reach 0 (an unstarted fibril keeps it above)
        alive.decrementAndGet();
        if (group.state() != CarrierGroup.State.OPEN) {
            wakeClose();
        }
    }

    private void wakeClose() {
        synchronized (exits) {
            exits.notifyAll();
        }
    }

    private Carrier place() {
        Carrier here = Carrier.current();
        if (here != null && here.group() == group) {
            Carrier best = here;
            for (Carrier c : carriers) {
                if (busy(c) < busy(best)) {
                    best = c;
                }
            }
            return best;
        }
        return carriers[Math.floorMod(nextCarrier.getAndIncrement(), carriers.length)];
    }

    /**
     * The load of {@code c}, for placement (racy reads): its fibrils but the idle spares, and its
     * descriptors in use. The second counts what holds no fibril: a connection waiting in an armed
     * receive ({@code receiveLater}) is a descriptor in its carrier's ring, so connections opened
     * one after another spread over the carriers instead of piling up beside the acceptor.
     */
    private static int busy(Carrier c) {
        return c.alive().get() - c.runners().idle() + c.pool().inUse();
    }

    /**
     * Waits until every fibril that was started has ended, but idle spares (they wait for work, not
     * on it). A fibril made by the thread factory and never started counts as alive (it may still
     * be started) but is not waited for: nothing runs, so there is nothing to wait for.
     */
    boolean awaitStartedEnded(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (exits) {
            while (alive.get() - spare() > unstarted()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(exits, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Interrupts every live fibril (which cancels their requests). */
    void interruptAll() {
        for (Thread t : List.copyOf(live)) {
            t.interrupt();
        }
    }

    /** Fibrils created and not yet started (control plane: a scan of the live set). */
    private int unstarted() {
        int n = 0;
        for (Thread t : live) {
            if (t.getState() == Thread.State.NEW) {
                n++;
            }
        }
        return n;
    }

    /** The fibrils started and not ended (a live view, for diagnostics). */
    Iterable<Thread> live() {
        return live;
    }

    /** Fibrils started and not ended, but for the carriers' idle spares. */
    int alive() {
        return Math.max(0, alive.get() - spare()); // two racy reads
    }

    /** The carriers' idle spare fibrils (see {@link Runners}). */
    int spare() {
        int spare = 0;
        for (Carrier c : carriers) {
            spare += c.runners().idle();
        }
        return spare;
    }

    long started() {
        return started.get();
    }
}
