package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.DescriptorPool;
import dev.fibril.internal.jdk.VirtualThreadBridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;

/**
 * One carrier: a scheduling unit that runs fibrils' continuations and drives one completion ring
 * through its {@link IoDriver}. It is the {@link Executor} that the JDK calls to schedule its
 * fibrils. What a carrier is (queues, ring, pool) is apart from the platform thread that drives it
 * at a given moment ({@link DriverThread}): when a fibril holds that thread, the runtime's
 * monitor hands the carrier to a spare thread ({@link Handoffs}).
 *
 * <p><b>Invariant.</b> At every moment exactly one thread may touch the carrier's ring, descriptor
 * pool, local run queue and {@link CarrierStats}: the thread that owns it in the sense of
 * {@link Ownership}, which is the driving thread in its loop, or a fibril of the carrier inside a
 * section ({@link #enter}/{@link #exit}) on that thread. Any thread may call {@link #execute} and
 * {@link #submitCommand}; those go through the lock-free {@link MpscRunQueue} and wake the
 * carrier if it sleeps in the ring.
 *
 * <p>One loop iteration: move cross-thread wake-ups to the local queue; run the fibrils that are
 * ready now (those they wake run next iteration, so their submissions batch together); hand every
 * SQE written meanwhile to the kernel in one flush; reap completions, which makes their fibrils
 * ready on this carrier with no cross-thread hand-off; when nothing is ready, sleep in the ring
 * until a completion or a wake-up.
 *
 * <p>Lifecycle: see {@link CarrierLifecycle}. Error policy of the loop: an iteration that throws
 * is logged and counted and the loop goes on; {@link IoDriver#MAX_FAILURES} in a row give the
 * ring up (FAILED): fibrils still run, their I/O calls throw.
 *
 * <p>Shutdown, in steps: (1) {@link #stop} moves to STOPPING and wakes the loop; (2) the loop
 * cancels every request in flight, once; (3) it reaps until the ring holds nothing: past the
 * deadline no new request starts, but a request still in the kernel is waited for, since it may
 * still write its buffer; (4) {@link #terminate}: TERMINATED, queued commands abandoned,
 * descriptor waiters refused, ring and pipes released; (5) the driving thread ends.
 */
public final class Carrier implements Executor, IoDriver.Host {
    private static final System.Logger LOG = System.getLogger("dev.fibril");
    private static final long STOPPING_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int CONTINUE = 0;
    private static final int LOST = 1;
    private static final int ENDED = 2;
    private static final VarHandle IDLE;
    private static final VarHandle LIFECYCLE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            IDLE = lookup.findVarHandle(Carrier.class, "idle", boolean.class);
            LIFECYCLE = lookup.findVarHandle(Carrier.class, "lifecycle", CarrierLifecycle.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final CarrierGroup group;
    private final int index;
    private final IoDriver io;
    private final Ownership ownership = new Ownership(this);
    private final LocalRunQueue local = new LocalRunQueue(256);
    private final MpscRunQueue remote = new MpscRunQueue();
    private final CarrierStats stats = new CarrierStats();
    /** Cross-thread wake-ups: bumped by foreign threads, hence atomic. */
    private final AtomicLong remoteWakeups = new AtomicLong();
    /** Fibrils whose home is this carrier; placement reads it from any thread. */
    private final AtomicInteger alive = new AtomicInteger();
    private final CountDownLatch terminatedLatch = new CountDownLatch(1);

    @SuppressWarnings("unused") // accessed through IDLE
    private volatile boolean idle;
    @SuppressWarnings("unused") // accessed through LIFECYCLE
    private volatile CarrierLifecycle lifecycle = CarrierLifecycle.RUNNING;
    /** The thread that drives the loop now (the monitor and diagnostics read it). */
    private volatile DriverThread driver;
    private volatile long stopDeadlineNanos;
    private boolean cancelledAllForStop;
    private boolean warnedPastDeadline;

    Carrier(CarrierGroup group, int index, CompletionRing ring, int poolSize, int poolBound) {
        this.group = group;
        this.index = index;
        this.io = new IoDriver(index, this, ring, new DescriptorPool(poolSize, poolBound),
                IoDriver.newSplicePipes(group.backend()), stats);
    }

    /** The home carrier of the fibril running now, or the carrier whose loop runs now; else null. */
    public static Carrier current() {
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return VirtualThreadBridge.schedulerOf(t) instanceof Carrier c ? c : null;
        }
        return t instanceof DriverThread dt ? dt.carrier : null;
    }

    // ---------------------------------------------------------------- scheduling (any thread)

    /**
     * Schedules a fibril continuation. Never blocks, never throws: the JDK calls this from timer
     * and poller threads and while the waking virtual thread is pinned.
     */
    @Override
    public void execute(Runnable task) {
        DriverThread dt = DriverThread.current();
        if (dt != null && dt.carrier == this && ownership.tryEnterForWakeup(dt)) {
            stats.localWakeups++;
            local.offer(task);
            ownership.exitWakeup(dt);
            return;
        }
        remoteWakeups.incrementAndGet();
        remote.offer(task);
        wakeIfIdle();
    }

    /** Runs {@code command} on the driving thread, in the loop's phase (control plane: may allocate). Any thread. */
    public void submitCommand(Runnable command) {
        CarrierCommand c = command instanceof CarrierCommand cc ? cc : command::run;
        if (ownership.heldByCurrentThread()) {
            local.offer(c);
        } else {
            remote.offer(c);
            wakeIfIdle();
        }
    }

    private void wakeIfIdle() {
        if (lifecycle.failed()) {
            LockSupport.unpark(driver); // a failed carrier sleeps on its park permit, not in the ring
            return;
        }
        // The loop publishes idle = true before its last look at the queues; this read follows
        // our queue insertion, so one of the two sides sees the other (both are volatile).
        if ((boolean) IDLE.getVolatile(this) && IDLE.compareAndSet(this, true, false)) {
            io.ring().wakeup();
        }
    }

    // ---------------------------------------------------------------- sections (a fibril's stack)

    /**
     * Enters a section: until {@link #exit}, the current fibril owns this carrier (its ring, pool
     * and queues) and is pinned to its thread. One uncontended CAS; nests. See {@link Ownership}.
     */
    public void enter() throws RuntimeClosedException {
        ownership.enter();
    }

    public void exit() {
        ownership.exit();
    }

    /**
     * Inside a section of depth one: leaves it, parks the fibril, and enters again once unparked
     * (perhaps on another thread, if the carrier was handed off meanwhile).
     */
    public void parkOutside(Object blocker) throws RuntimeClosedException {
        ownership.exit();
        LockSupport.park(blocker);
        ownership.enter();
    }

    /**
     * Inside a section: parks the current fibril until {@code d} is DONE, and returns its result.
     * If the fibril is the last ready one, the batch is flushed and reaped first, and a completion
     * that is already there is taken without parking. An interrupt submits ASYNC_CANCEL for
     * {@code d} and keeps waiting for d's own completion (the kernel may still write its buffer
     * until then); the interrupt status is restored before returning.
     *
     * @throws CarrierFailedException if this carrier gave up on its ring meanwhile; d then stays
     *         SUBMITTED (out of the pool), as the kernel may still hold it
     */
    public int awaitDone(Descriptor d) throws ClosedChannelException {
        if (local.isEmpty() && remote.isEmpty() && io.failure() == null) {
            io.flushAndReap();
            if (d.state() == Descriptor.DONE) {
                stats.inlineCompletions++;
                return d.result();
            }
        }
        boolean interrupted = false;
        try {
            while (d.state() != Descriptor.DONE) {
                if (io.failure() != null) {
                    // Nothing will complete d: it (and the buffer it names) stays out of the pool.
                    d.owner(IoDriver.RELEASE_ON_COMPLETION);
                    throw io.failedException();
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                    io.cancel(d);
                    continue;
                }
                stats.parks++;
                parkOutside(this);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return d.result();
    }

    /**
     * Throws unless new requests may start here: not on a failed carrier, and not on one that is
     * stopping and past its deadline (it waits only for what is still in the kernel).
     */
    void checkAcceptingRequests() throws ClosedChannelException {
        CarrierLifecycle now = lifecycle;
        if (now.failed()) {
            throw io.failedException();
        }
        if (now.stopping() && System.nanoTime() - stopDeadlineNanos > 0) {
            throw new RuntimeClosedException("Fibril runtime is closed: carrier " + index + " is stopping");
        }
    }

    // ---------------------------------------------------------------- the loop (driving thread)

    /**
     * Runs the loop on {@code dt}, which was given {@code epoch}. Returns true if the carrier was
     * handed off while a fibril held this thread (the thread then becomes a spare), false once the
     * carrier terminated.
     */
    boolean drive(DriverThread dt, long epoch) {
        driver = dt;
        ownership.takeOver(epoch);
        int failures = 0;
        while (true) {
            int outcome;
            try {
                outcome = lifecycle.failed() ? runWithoutRing(dt, epoch) : runIteration(dt, epoch);
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
        io.flush();
        io.reapAvailable();
        if (!local.isEmpty() || !remote.isEmpty() || io.hasPendingWork()) {
            return CONTINUE; // reaping may have resubmitted retries: they must reach the kernel first
        }
        boolean stopping = lifecycle.stopping();
        if (stopping && readyToTerminate()) {
            return ENDED;
        }
        IDLE.setVolatile(this, true);
        if (remote.isEmpty()) {
            io.await(stopping ? STOPPING_WAIT_NANOS : -1);
        }
        IDLE.setVolatile(this, false);
        group.handoffs().carrierBusy();
        return CONTINUE;
    }

    /**
     * The loop of a failed carrier: its fibrils still run (each I/O call now throws), the ring is
     * left alone. It sleeps on the thread's park permit, which {@link #execute} gives.
     */
    private int runWithoutRing(DriverThread dt, long epoch) {
        if (!runReady(dt, epoch)) {
            return LOST;
        }
        if (!local.isEmpty() || !remote.isEmpty()) {
            return CONTINUE;
        }
        if (lifecycle.stopping()) {
            return ENDED;
        }
        IDLE.setVolatile(this, true);
        if (remote.isEmpty()) {
            LockSupport.park(this);
        }
        IDLE.setVolatile(this, false);
        return CONTINUE;
    }

    /** Runs what is ready now; false if the carrier was handed off meanwhile (nothing here is ours then). */
    private boolean runReady(DriverThread dt, long epoch) {
        Runnable task;
        while ((task = remote.poll()) != null) {
            local.offer(task);
        }
        for (int budget = local.size(); budget > 0; budget--) {
            if (!runTask(local.poll(), dt, epoch)) {
                return false;
            }
        }
        return true;
    }

    private boolean runTask(Runnable task, DriverThread dt, long epoch) {
        stats.tasksRun++;
        if (task instanceof CarrierCommand) {
            runLogged(task); // the loop's own work: never handed off half-way
            return true;
        }
        dt.depth = 0;
        ownership.startFibril(epoch);
        runLogged(task);
        if (!ownership.endFibril(epoch)) {
            return false;
        }
        dt.depth = 1;
        return true;
    }

    private void runLogged(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "task failed on carrier " + index, t);
        }
    }

    /** One bad iteration must not strand the carrier's fibrils; a ring that keeps failing is given up. */
    private int onLoopFailure(Throwable t, int failuresBefore) {
        stats.loopFailures++;
        int failures = failuresBefore + 1;
        if (lifecycle.failed()) {
            return failures;
        }
        if (failures >= IoDriver.MAX_FAILURES) {
            move(CarrierLifecycle::whenFailed);
            io.fail(t);
        } else {
            LOG.log(System.Logger.Level.WARNING, "Fibril carrier " + index + ": loop iteration failed ("
                    + failures + " of " + IoDriver.MAX_FAILURES + " in a row); going on", t);
        }
        return failures;
    }

    /**
     * Shutdown steps 2 and 3: the first call cancels everything in flight; then true once the ring
     * holds nothing. No deadline releases a request the kernel still holds; close() does not wait
     * for that (it says so in the log).
     */
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
        if (!warnedPastDeadline && System.nanoTime() - stopDeadlineNanos > 0) {
            warnedPastDeadline = true;
            LOG.log(System.Logger.Level.WARNING, "Fibril carrier " + index + ": " + inFlight
                    + " request(s) still in the kernel after the close deadline; their callers are released "
                    + "when the kernel completes them");
        }
        return false;
    }

    /** Shutdown step 4. Commands that race with it are failed by their senders (see {@link #isTerminated}). */
    private void terminate() {
        move(from -> CarrierLifecycle.TERMINATED);
        Runnable task;
        while ((task = remote.poll()) != null) {
            if (task instanceof CarrierCommand command) {
                command.abandon();
            }
        }
        io.refuseWaiters();
        io.release();
        terminatedLatch.countDown();
    }

    /** Moves the lifecycle to {@code next.apply(current)}, as the table allows (see {@link CarrierLifecycle}). */
    private void move(UnaryOperator<CarrierLifecycle> next) {
        CarrierLifecycle from;
        CarrierLifecycle to;
        do {
            from = lifecycle;
            to = from.checkMove(next.apply(from));
        } while (!LIFECYCLE.compareAndSet(this, from, to));
    }

    /** Shutdown step 1: cancel what is in flight, reap it, and stop; no new request starts after {@code deadlineNanos}. */
    public void stop(long deadlineNanos) {
        stopDeadlineNanos = deadlineNanos;
        move(from -> from.stopping() || from == CarrierLifecycle.TERMINATED ? from : from.whenStopped());
        submitCommand(() -> { });
    }

    public boolean join(long timeoutNanos) throws InterruptedException {
        return terminatedLatch.await(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public boolean isStopping() {
        return lifecycle.stopping();
    }

    public boolean isTerminated() {
        return lifecycle == CarrierLifecycle.TERMINATED;
    }

    // ---------------------------------------------------------------- what the monitor reads (any thread)

    Ownership ownership() {
        return ownership;
    }

    /** Sleeping in its ring (or on its permit): no fibril can be holding its thread. */
    boolean isIdle() {
        return (boolean) IDLE.getVolatile(this);
    }

    /** Whether anything waits for this carrier's thread: ready tasks, or requests whose completions it must reap. Racy. */
    boolean hasWaitingWork() {
        return local.size() > 0 || !remote.isEmpty() || io.ring().inFlight() > 0;
    }

    // ---------------------------------------------------------------- accounting

    /** The I/O driver; its methods are for the owner (see the class comment). */
    public IoDriver io() {
        return io;
    }

    public DescriptorPool pool() {
        return io.pool();
    }

    public CarrierGroup group() {
        return group;
    }

    public int index() {
        return index;
    }

    public CompletionRing ring() {
        return io.ring();
    }

    public CarrierStats stats() {
        return stats;
    }

    /** The cause that stopped this carrier's ring, or null while it works. */
    public Throwable failure() {
        return io.failure();
    }

    public CarrierFailedException failedException() {
        return io.failedException();
    }

    /** File descriptors this carrier holds for itself: both ends of each splice pipe. Any thread. */
    public int ownFileDescriptors() {
        return io.splicePipes().openFileDescriptors();
    }

    public long remoteWakeups() {
        return remoteWakeups.get();
    }

    public AtomicInteger alive() {
        return alive;
    }

    /** Ready tasks: the local queue (a racy read from other threads, good enough for a gauge). */
    public int runQueueDepth() {
        return local.size();
    }

    /** One line per descriptor not FREE (control plane, racy read: for diagnostics only). */
    public String describeDescriptors() {
        return io.describeDescriptors();
    }

    /** The thread that drives this carrier now (it changes when the carrier is handed off). */
    public Thread thread() {
        return driver;
    }
}
