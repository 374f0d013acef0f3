/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.Backend;
import dev.fibril.internal.jdk.JdkPoller;
import dev.fibril.internal.jdk.VirtualThreadBridge;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The runtime's carriers, their backend, and the lifecycle of the fibrils on them.
 *
 * <p>Fibrils are virtual threads whose scheduler is one carrier (their home): they always run on
 * that carrier's thread, so their descriptors and ring need no synchronization. Their creation,
 * placement and counts are {@link Fibrils}; this class holds the carriers, the backend, the open
 * channels and the close.
 *
 * <p>Lifecycle (cold, so an enum under a lock): OPEN -> CLOSING (no new fibrils; running ones
 * get the timeout to finish, then are interrupted, which cancels their requests; open channels are
 * closed; carriers cancel and reap what is still in flight) -> CLOSED (backend released).
 */
public final class CarrierGroup {
    public enum State { OPEN, CLOSING, CLOSED }

    private static final System.Logger LOG = System.getLogger("dev.fibril");
    private static volatile boolean fallbackWarned;

    /** Every call the runtime makes into the backend goes through this view, which pins fibrils for the call. */
    private final PinnedBackend backend;
    private final Carrier[] carriers;
    private final List<Carrier> carrierList;
    private final Fibrils fibrils;
    private final boolean customScheduler;
    private final Set<Closeable> channels = ConcurrentHashMap.newKeySet();
    private final Object lifecycle = new Object();
    private final ExecutorService executor;
    private final ThreadFactory threadFactory;
    private final Handoffs handoffs;
    private volatile State state = State.OPEN;
    private volatile int receiveBufferCount = 256;
    private volatile int receiveBufferSize = 16 * 1024;
    /** Set (under the channels' lock) when close() takes its snapshot of open channels. */
    private boolean channelsSealed;

    public CarrierGroup(Backend backend, int carrierCount, int poolSize, int poolBound, boolean strict,
                        Duration handoffThreshold, int maxSpareThreads) {
        if (carrierCount < 1) {
            throw new IllegalArgumentException("carriers must be at least 1, was " + carrierCount);
        }
        this.backend = new PinnedBackend(backend);
        this.handoffs = new Handoffs(handoffThreshold, maxSpareThreads);
        this.customScheduler = VirtualThreadBridge.available();
        if (!customScheduler) {
            String why = "Fibril cannot install its scheduler: " + VirtualThreadBridge.unavailableReason();
            if (strict) {
                throw new IllegalStateException(why + " (strict mode)");
            }
            if (!fallbackWarned) {
                fallbackWarned = true;
                LOG.log(System.Logger.Level.WARNING, why + "; fibrils run on the JDK default virtual-thread "
                        + "scheduler (ForkJoinPool) and reach Fibril's carriers through cross-thread calls");
            }
        }
        JdkPoller.ensureOnDefaultScheduler();
        this.carriers = new Carrier[carrierCount];
        for (int i = 0; i < carrierCount; i++) {
            // With the hand-off off one thread drives each carrier for life: io_uring may bind the ring to it.
            carriers[i] = new Carrier(this, i, this.backend.openRing(i, !handoffs.enabled()), poolSize, poolBound);
        }
        this.carrierList = List.of(carriers);
        this.fibrils = new Fibrils(this, carriers, customScheduler);
        handoffs.start(this, carrierList);
        this.threadFactory = task -> {
            try {
                return newFibril(task);
            } catch (RejectedExecutionException e) {
                return null; // ThreadFactory contract: null means rejected
            }
        };
        this.executor = Executors.newThreadPerTaskExecutor(threadFactory);
    }

    // ---------------------------------------------------------------- fibrils

    /** Creates an unstarted fibril that runs {@code task}; it counts as live from now on. */
    public Thread newFibril(Runnable task) {
        return fibrils.newFibril(task);
    }

    public Thread start(Runnable task) {
        return fibrils.start(task);
    }

    /** Runs {@code task} on a spare fibril of the calling fibril's carrier, or a new fibril off one (see {@link Runners}). */
    public void dispatch(Runnable task) {
        fibrils.dispatch(task);
    }

    /** The fibrils: creation, placement, spares' hand-over, and the counts close() waits on. */
    Fibrils fibrils() {
        return fibrils;
    }

    /** Whether close() has begun: no new fibril starts. */
    boolean isClosing() {
        return state != State.OPEN;
    }

    /** The carrier that serves foreign-thread calls on {@code fd}. */
    Carrier carrierFor(int fd) {
        return carriers[Math.floorMod(fd, carriers.length)];
    }

    void ensureOpenForCalls() throws RuntimeClosedException {
        if (state == State.CLOSED) {
            throw new RuntimeClosedException("Fibril runtime is closed");
        }
    }

    // ---------------------------------------------------------------- channels

    /**
     * Registers an open channel, so that closing the runtime closes it. Refused once close() has
     * begun closing channels (a channel registered after its snapshot would never be closed);
     * the caller then closes the fd.
     */
    public void register(Closeable channel) throws RuntimeClosedException {
        synchronized (channels) {
            if (channelsSealed) {
                throw new RuntimeClosedException("Fibril runtime is " + state.name().toLowerCase()
                        + ": cannot open a channel");
            }
            channels.add(channel);
        }
    }

    public void unregister(Closeable channel) {
        channels.remove(channel);
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Closes the runtime: waits up to {@code timeout} for fibrils to finish, interrupts those left
     * (which cancels their requests) and waits up to {@code timeout} again, closes channels still
     * open, then stops the carriers once their in-flight requests completed (bounded by
     * {@code timeout} too). Never hangs longer than about three timeouts; idempotent.
     */
    public void close(Duration timeout) {
        Carrier here = Carrier.current();
        if (here != null && here.group() == this) {
            throw new IllegalStateException("a Fibril runtime cannot be closed from one of its own fibrils: "
                    + "close() waits for them and stops the carrier it would run on");
        }
        synchronized (lifecycle) {
            if (state != State.OPEN) {
                awaitState(State.CLOSED, timeout.multipliedBy(4));
                return;
            }
            state = State.CLOSING;
        }
        executor.shutdown();
        long timeoutNanos = timeout.toNanos();
        if (!fibrils.awaitStartedEnded(timeoutNanos)) {
            fibrils.interruptAll();
            fibrils.awaitStartedEnded(timeoutNanos);
        }
        List<Closeable> open;
        synchronized (channels) {
            channelsSealed = true;
            open = new ArrayList<>(channels);
        }
        for (Closeable ch : open) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing a channel at runtime close failed", e);
            }
        }
        for (Carrier c : carriers) {
            Runners runners = c.runners();
            c.submitCommand(runners::stop); // the closed channels' tasks have their spares; idle ones end
        }
        long deadline = System.nanoTime() + timeoutNanos;
        for (Carrier c : carriers) {
            c.stop(deadline);
        }
        boolean allStopped = true;
        for (Carrier c : carriers) {
            try {
                allStopped &= c.join(Math.max(0, deadline - System.nanoTime()) + TimeUnit.SECONDS.toNanos(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                allStopped = false;
                break;
            }
        }
        try {
            handoffs.shutdown(TimeUnit.SECONDS.toNanos(1)); // a thread still held by a fibril is logged
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (allStopped) {
            backend.close();
        } else {
            LOG.log(System.Logger.Level.WARNING, "Fibril runtime closed with carriers still stopping; backend left open");
        }
        synchronized (lifecycle) {
            state = State.CLOSED;
            lifecycle.notifyAll();
        }
    }

    private void awaitState(State wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (state != wanted) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(lifecycle, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- accounting

    public State state() {
        return state;
    }

    /**
     * Each carrier's receive buffers: {@code count} (a power of two) of {@code size} bytes, made on
     * the carrier's first receive. Set before fibrils run.
     */
    public void configureReceiveBuffers(int count, int size) {
        new dev.fibril.internal.io.ReceiveBuffers(count, size); // validates; the buffers themselves are made lazily
        this.receiveBufferCount = count;
        this.receiveBufferSize = size;
    }

    int receiveBufferCount() {
        return receiveBufferCount;
    }

    int receiveBufferSize() {
        return receiveBufferSize;
    }

    /** The kernel features the rings use, and why the others are off. */
    public dev.fibril.aio.BackendFeatures backendFeatures() {
        return backend.features(!handoffs.enabled());
    }

    /** The backend, for system calls: a fibril that calls it is pinned to its carrier until the call returns. */
    public Backend backend() {
        return backend;
    }

    /** Synchronous open, socket, size, truncate and close calls made on a carrier's thread so far. */
    public long syncCallsOnCarriers() {
        return backend.syncCallsOnCarriers();
    }

    /** The backend instance itself (for its own accounting); the runtime calls it through {@link #backend()}. */
    public Backend backendInstance() {
        return backend.unwrap();
    }

    /** The carriers, in index order (an immutable list). */
    public List<Carrier> carriers() {
        return carrierList;
    }

    /** The hand-off of held carriers to spare threads: its monitor, spares and counts. */
    public Handoffs handoffs() {
        return handoffs;
    }

    public boolean customScheduler() {
        return customScheduler;
    }

    /** Fibrils started and not ended, but for the carriers' idle spares ({@link Runners}), which wait for work of the runtime's own. */
    public int aliveFibrils() {
        return fibrils.alive();
    }

    /** The carriers' idle spare fibrils (see {@link Runners}). */
    public int spareFibrils() {
        return fibrils.spare();
    }

    public long startedFibrils() {
        return fibrils.started();
    }

    public ExecutorService executor() {
        return executor;
    }

    public ThreadFactory threadFactory() {
        return threadFactory;
    }
}
