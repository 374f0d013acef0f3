/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.DescriptorPool;
import dev.fibril.internal.jdk.VirtualThreadBridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
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
 * <p>Rooms: this class is the unit (queues, wake-up protocol, sections, lifecycle state);
 * {@link CarrierLoop} its loop, error policy and shutdown steps; {@link IoDriver} its I/O;
 * {@link CarrierLifecycle} the lifecycle's table; {@link Ownership} who may touch it;
 * {@link DriverThread} and {@link Handoffs} the threads and the monitor.
 */
public final class Carrier implements Executor, IoDriver.Host {
    private static final VarHandle LIFECYCLE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
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
    private final IdleSignal idle = new IdleSignal();
    private final CarrierStats stats = new CarrierStats();
    /** Cross-thread wake-ups: bumped by foreign threads, hence atomic. */
    private final AtomicLong remoteWakeups = new AtomicLong();
    /** Fibrils whose home is this carrier; placement reads it from any thread. */
    private final AtomicInteger alive = new AtomicInteger();
    private final CountDownLatch terminatedLatch = new CountDownLatch(1);
    private final CarrierLoop loop;
    private final CarrierReceiveBuffers receiveBuffers = new CarrierReceiveBuffers(this);
    private final dev.fibril.internal.io.SendBuffers sendBuffers = new dev.fibril.internal.io.SendBuffers();
    private final Runners runners = new Runners(this);
    /** The call of each descriptor of the pool, by index, made on its first use (see {@link IoCall}). Owner only. */
    private IoCall[] calls = new IoCall[0];

    @SuppressWarnings("unused") // accessed through LIFECYCLE
    private volatile CarrierLifecycle lifecycle = CarrierLifecycle.RUNNING;
    /** The thread that drives the loop now (the monitor and diagnostics read it). */
    private volatile DriverThread driver;
    private volatile long stopDeadlineNanos;

    Carrier(CarrierGroup group, int index, CompletionRing ring, int poolSize, int poolBound) {
        this.group = group;
        this.index = index;
        this.io = new IoDriver(index, this, ring, new DescriptorPool(poolSize, poolBound),
                IoDriver.newSplicePipes(group.backend()), stats);
        this.loop = new CarrierLoop(this);
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
        // Our offer to the queue came first; the loop publishes idle before its last look at it
        // (see IdleSignal), so one of the two sides sees the other.
        if (idle.claimWakeup()) {
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

    /** True inside the loop, a command or a section of this carrier: a ring call may not start and park here. */
    public boolean heldByCurrentThread() {
        return ownership.heldByCurrentThread();
    }

    /**
     * Inside a section of depth one: leaves it, parks the fibril, and enters again once unparked
     * (perhaps on another thread, if the carrier was handed off meanwhile).
     */
    public void parkOutside(Object blocker) throws RuntimeClosedException {
        ownership.exitToPark();
        LockSupport.park(blocker);
        ownership.reenter();
    }

    /** As {@link #parkOutside}, for at most {@code nanos}. */
    public void parkOutsideNanos(Object blocker, long nanos) throws RuntimeClosedException {
        ownership.exitToPark();
        LockSupport.parkNanos(blocker, nanos);
        ownership.reenter();
    }

    /** Inside a section of depth one: leaves it, lets the carrier run its other fibrils, and enters again. */
    public void yieldOutside() throws RuntimeClosedException {
        ownership.exitToPark();
        Thread.yield();
        ownership.reenter();
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

    // ---------------------------------------------------------------- the loop's side

    /** Runs the loop on {@code dt}, given {@code epoch}; true if the carrier was handed off (see {@link CarrierLoop}). */
    boolean drive(DriverThread dt, long epoch) {
        driver = dt;
        ownership.takeOver(epoch);
        return loop.drive(dt, epoch);
    }

    LocalRunQueue local() {
        return local;
    }

    MpscRunQueue remote() {
        return remote;
    }

    CarrierLifecycle lifecycle() {
        return lifecycle;
    }

    long stopDeadlineNanos() {
        return stopDeadlineNanos;
    }

    IdleSignal idleSignal() {
        return idle;
    }

    /** Moves the lifecycle to {@code next.apply(current)}, as the table allows (see {@link CarrierLifecycle}). */
    void move(UnaryOperator<CarrierLifecycle> next) {
        CarrierLifecycle from;
        CarrierLifecycle to;
        do {
            from = lifecycle;
            to = from.checkMove(next.apply(from));
        } while (!LIFECYCLE.compareAndSet(this, from, to));
    }

    void terminated() {
        terminatedLatch.countDown();
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
        return idle.isIdle();
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

    /** The call of {@code d}, a descriptor of this carrier's pool: made once, then pooled with it. Owner (inside a section). */
    IoCall callFor(Descriptor d) {
        int i = d.index();
        if (i >= calls.length) {
            calls = Arrays.copyOf(calls, Math.max(i + 1, calls.length * 2));
        }
        IoCall call = calls[i];
        if (call == null) {
            call = new IoCall(this, d);
            calls[i] = call;
        }
        return call;
    }

    /** The buffers {@code receive()} lends, made and offered to the ring on first use. Owner (inside a section). */
    public dev.fibril.internal.io.ReceiveBuffers receiveBuffers() {
        return receiveBuffers.get();
    }

    /** The receive buffers for readers on other threads (gauges, foreign releases); null before the first receive. */
    public dev.fibril.internal.io.ReceiveBuffers receiveBuffersIfMade() {
        return receiveBuffers.ifMade();
    }

    /** The buffers that sends nobody waits for ({@code sendLater}) hold. Owner (inside a section, or the loop). */
    public dev.fibril.internal.io.SendBuffers sendBuffers() {
        return sendBuffers;
    }

    /** The spare fibrils that run what this carrier's completions hand over. Owner (inside a section, or the loop). */
    public Runners runners() {
        return runners;
    }

    /**
     * Shutdown, after the ring's release: frees the receive and send buffers' native memory, unless
     * the ring was left open with requests in flight (the kernel may still use them).
     */
    void freeBuffers() {
        if (io.ring().inFlight() > 0) {
            return;
        }
        dev.fibril.internal.io.ReceiveBuffers received = receiveBuffers.ifMade();
        if (received != null) {
            received.free();
        }
        sendBuffers.free();
    }

    /** Any thread: buffer {@code id} of this carrier comes back from a reader on another thread. */
    public void returnReceiveBuffer(int id) {
        receiveBuffers.giveBack(id);
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

    /**
     * One line of this carrier's state for a diagnostic (racy reads): lifecycle, owner word,
     * whether it sleeps in its ring, queue depths, requests in flight and its thread's state.
     */
    public String describeState() {
        long w = ownership.word();
        DriverThread dt = driver;
        return "carrier " + index + ": " + lifecycle + ", epoch " + Ownership.epoch(w) + " phase "
                + Ownership.phase(w) + (idle.isIdle() ? ", idle" : ", awake") + ", local " + local.size()
                + ", remote " + (remote.isEmpty() ? "empty" : "not empty") + ", in flight " + io.ring().inFlight()
                + ", thread " + (dt == null ? "none" : dt.getName() + " " + dt.getState());
    }

    /** One line per descriptor not FREE (control plane, racy read: for diagnostics only). */
    public String describeDescriptors() {
        return io.describeDescriptors();
    }

    /** The thread that drives this carrier now (it changes when the carrier is handed off). */
    public Thread thread() {
        return driver;
    }

    /** The thread driving this carrier now, or null before it started. */
    DriverThread driverThread() {
        return driver;
    }
}
