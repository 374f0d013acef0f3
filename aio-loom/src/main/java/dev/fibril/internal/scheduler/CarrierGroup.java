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
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The runtime's carriers, their backend, and the lifecycle of the fibrils on them.
 *
 * <p>Fibrils are virtual threads whose scheduler is one carrier (their home): they always run on
 * that carrier's thread, so their descriptors and ring need no synchronization. A fibril started
 * from outside goes to the next carrier in turn; one started by a fibril stays on its parent's
 * carrier unless another carrier has fewer live fibrils.
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
    private final ThreadFactory[] factories;
    private final boolean customScheduler;
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    private final Set<Closeable> channels = ConcurrentHashMap.newKeySet();
    private final AtomicInteger alive = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();
    private final AtomicInteger nextCarrier = new AtomicInteger();
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
        this.factories = new ThreadFactory[carrierCount];
        for (int i = 0; i < carrierCount; i++) {
            // With the hand-off off one thread drives each carrier for life: io_uring may bind the ring to it.
            carriers[i] = new Carrier(this, i, this.backend.openRing(i, !handoffs.enabled()), poolSize, poolBound);
            factories[i] = customScheduler
                    ? VirtualThreadBridge.newVirtualThreadBuilder(carriers[i]).name("fibril-" + i + "-", 0).factory()
                    : Thread.ofVirtual().name("fibril-d" + i + "-", 0).factory();
        }
        this.carrierList = List.of(carriers);
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
        if (spare ? state == State.CLOSED : state != State.OPEN) {
            exited(null);
            throw new RejectedExecutionException("Fibril runtime is " + state.name().toLowerCase() + ": no new fibrils");
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

    /** Runs {@code task} on a spare fibril of the calling fibril's carrier, or a new fibril off one (see {@link Runners}). */
    public void dispatch(Runnable task) {
        Objects.requireNonNull(task, "task");
        Carrier c = Carrier.current();
        if (c == null || c.group() != this || !Thread.currentThread().isVirtual()) {
            start(task);
            return;
        }
        if (state != State.OPEN) {
            throw new RejectedExecutionException("Fibril runtime is " + state.name().toLowerCase() + ": no new fibrils");
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

    public Thread start(Runnable task) {
        Thread t = newFibril(task);
        t.start();
        return t;
    }

    /** Whether close() has begun: no new fibril starts. */
    boolean isClosing() {
        return state != State.OPEN;
    }

    /** A spare went idle: while closing, close() counts it as done with its work, so it looks again. */
    void spareIdled() {
        if (state != State.OPEN) {
            synchronized (lifecycle) {
                lifecycle.notifyAll();
            }
        }
    }

    private void exited(Thread t) {
        if (t != null) {
            live.remove(t);
        }
        // every exit while closing wakes close(): it waits for the started fibrils only, so the
        // count it waits for need not reach 0 (an unstarted fibril keeps it above)
        alive.decrementAndGet();
        if (state != State.OPEN) {
            synchronized (lifecycle) {
                lifecycle.notifyAll();
            }
        }
    }

    private Carrier place() {
        Carrier here = Carrier.current();
        if (here != null && here.group() == this) {
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

    /** Fibrils of {@code c} but its idle spares, for placement (racy reads). */
    private static int busy(Carrier c) {
        return c.alive().get() - c.runners().idle();
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
        if (!awaitFibrils(timeoutNanos)) {
            for (Thread t : List.copyOf(live)) {
                t.interrupt();
            }
            awaitFibrils(timeoutNanos);
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

    /**
     * Waits until every fibril that was started has ended. A fibril made by {@link #threadFactory()}
     * and never started counts as alive (it may still be started) but is not waited for: nothing
     * runs, so there is nothing to wait for.
     */
    private boolean awaitFibrils(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (lifecycle) {
            while (alive.get() - spareFibrils() > unstarted()) { // an idle spare waits for work, not on it
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lifecycle, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
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

    /** The backend, for system calls: a fibril that calls it is pinned to its carrier until the call returns. */
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

    /** The fibrils started and not ended (a live view, for diagnostics). */
    Iterable<Thread> liveFibrils() {
        return live;
    }

    public boolean customScheduler() {
        return customScheduler;
    }

    /** Fibrils started and not ended, but for the carriers' idle spares ({@link Runners}), which wait for work of the runtime's own. */
    public int aliveFibrils() {
        return Math.max(0, alive.get() - spareFibrils()); // two racy reads
    }

    /** The carriers' idle spare fibrils (see {@link Runners}). */
    public int spareFibrils() {
        int spare = 0;
        for (Carrier c : carriers) {
            spare += c.runners().idle();
        }
        return spare;
    }

    public long startedFibrils() {
        return started.get();
    }

    public ExecutorService executor() {
        return executor;
    }

    public ThreadFactory threadFactory() {
        return threadFactory;
    }
}
