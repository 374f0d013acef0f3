package dev.fibril.internal.scheduler;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.DescriptorPool;
import dev.fibril.internal.io.PoolWaiter;
import dev.fibril.internal.io.SplicePipePool;
import dev.fibril.internal.jdk.VirtualThreadBridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One carrier: a platform thread that runs fibrils' continuations and drives one completion ring.
 * It is the {@link Executor} that the JDK calls to schedule its fibrils.
 *
 * <p>Threads. The ring, the descriptor pool, the local run queue and {@link CarrierStats} are
 * touched only by the carrier thread, which is also the thread every fibril of this carrier runs
 * on. Any thread may call {@link #execute} and {@link #submitCommand}; those go through the
 * lock-free {@link MpscRunQueue} and wake the carrier if it sleeps in the ring.
 *
 * <p>One loop iteration: move cross-thread wake-ups to the local queue; run the fibrils that are
 * ready now (those they wake run next iteration, so their submissions batch together); hand every
 * SQE written meanwhile to the kernel in one flush; reap completions, which makes their fibrils
 * ready on this carrier with no cross-thread hand-off; when nothing is ready, sleep in the ring
 * until a completion or a wake-up.
 *
 * <p>Ring calls from fibrils. A fibril calls the ring itself (submitting, and flushing and reaping
 * on the fast path of {@link #awaitDone}); for the ring that is the owner thread, but only as
 * long as the fibril stays mounted for the whole call. A backend may block inside a call, like a
 * kernel: the simulated kernel takes monitors that other carriers hold, and since JDK 24 a
 * virtual thread blocked on a contended monitor unmounts. Its carrier would then go back to this
 * loop (or run another fibril) and enter the ring again while the first call is half done. So a
 * fibril is pinned to the carrier for every ring call ({@link VirtualThreadBridge#pinCurrent}):
 * if the backend blocks, the carrier thread blocks with it, as a thread in a system call does.
 *
 * <p>States:
 * <pre>
 *  RUNNING -> STOPPING     runtime closing: in-flight requests cancelled; the loop runs until the
 *                          ring holds nothing (past the deadline no new request starts, but a
 *                          request still in the kernel is waited for: it may write its buffer)
 *  STOPPING -> TERMINATED  ring closed; commands that arrive later are failed by their senders
 *  RUNNING|STOPPING -> FAILED  {@link #MAX_LOOP_FAILURES} iterations in a row threw: the ring is
 *                          given up, fibrils still run and their I/O calls throw; then TERMINATED
 * </pre>
 * A single iteration that throws is logged and counted, and the loop goes on.
 */
public final class Carrier implements Executor, CompletionSink {
    /** user_data of the runtime's own ASYNC_CANCEL requests: index -1 never names a descriptor. */
    static final long CANCEL_TOKEN = 0xFFFF_FFFFL;
    /** user_data of a LINK_TIMEOUT that could not have a pooled descriptor (index -2). */
    static final long LINK_TIMEOUT_TOKEN = 0xFFFF_FFFEL;
    /** Owner of a descriptor whose completion nobody waits for: the carrier releases it on completion. */
    private static final Object RELEASE_ON_COMPLETION = new Object();
    private static final int REAP_BATCH = 256;
    /** Rounds of flush-and-reap on a full SQ before the carrier waits in the ring between rounds. */
    private static final int FULL_QUEUE_SPINS = 16;
    private static final long FULL_QUEUE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Consecutive failed loop iterations after which the carrier gives up on its ring. */
    private static final int MAX_LOOP_FAILURES = 3;
    private static final System.Logger LOG = System.getLogger("dev.fibril");
    /** sendFile chains in flight at once with a pipe each; more send through memory (see SplicePipePool). */
    private static final int SPLICE_PIPES = 16;

    private static final VarHandle IDLE;

    static {
        try {
            IDLE = MethodHandles.lookup().findVarHandle(Carrier.class, "idle", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final CarrierGroup group;
    private final int index;
    private final CompletionRing ring;
    private final DescriptorPool pool;
    private final LocalRunQueue local = new LocalRunQueue(256);
    private final MpscRunQueue remote = new MpscRunQueue();
    private final CarrierThread thread;
    private final CarrierStats stats = new CarrierStats();
    /** Cross-thread wake-ups: bumped by foreign threads, hence atomic. */
    private final AtomicLong remoteWakeups = new AtomicLong();
    /** Fibrils whose home is this carrier; placement reads it from any thread. */
    private final AtomicInteger alive = new AtomicInteger();

    @SuppressWarnings("unused") // accessed through IDLE
    private volatile boolean idle;
    private volatile boolean stopping;
    private volatile boolean terminated;
    private volatile long stopDeadlineNanos;
    private boolean cancelledAllForStop;
    private boolean warnedPastDeadline;
    /** Why the ring was given up (see {@link #fail}); null while the carrier works. */
    private volatile Throwable failure;
    private int unflushed;
    private final SplicePipePool splicePipes;
    private int[] retries = new int[64];
    /** Completions reaped while a submission waited for SQ room, delivered by the next reap. */
    private long[] deferredTokens = new long[16];
    private int[] deferredResults = new int[16];
    private int deferredCount;
    private final CompletionSink deferringSink = this::deferCompletion;
    /** A ring failure met on a fibril's stack, rethrown by the loop (first one only). */
    private RuntimeException deferredLoopFailure;
    private int retryCount;

    Carrier(CarrierGroup group, int index, CompletionRing ring, int poolSize, int poolBound, String name) {
        this.group = group;
        this.index = index;
        this.ring = ring;
        this.pool = new DescriptorPool(poolSize, poolBound);
        this.splicePipes = new SplicePipePool(group.backend(), SPLICE_PIPES);
        this.thread = new CarrierThread(this, name);
    }

    /** The carrier whose fibril or loop is running on the current thread, or null. */
    public static Carrier current() {
        Thread t = Thread.currentThread();
        if (t instanceof CarrierThread ct) {
            return ct.carrier;
        }
        return VirtualThreadBridge.schedulerOf(t) instanceof Carrier c ? c : null;
    }

    public void start() {
        thread.start();
    }

    // ---------------------------------------------------------------- scheduling (any thread)

    /**
     * Schedules a fibril continuation. Never blocks, never throws: the JDK calls this from timer
     * and poller threads and while the waking virtual thread is pinned.
     */
    @Override
    public void execute(Runnable task) {
        if (onCarrierThread()) {
            stats.localWakeups++;
            local.offer(task);
        } else {
            remoteWakeups.incrementAndGet();
            remote.offer(task);
            wakeIfIdle();
        }
    }

    /** Runs {@code command} on the carrier thread (control plane: may allocate). Any thread. */
    public void submitCommand(Runnable command) {
        if (onCarrierThread()) {
            local.offer(command);
        } else {
            remote.offer(command);
            wakeIfIdle();
        }
    }

    /** True on the carrier thread itself, or in a virtual thread mounted on it. */
    public boolean onCarrierThread() {
        Thread t = Thread.currentThread();
        return t == thread || (t.isVirtual() && VirtualThreadBridge.carrierOf(t) == thread);
    }

    private void wakeIfIdle() {
        if (failure != null) {
            LockSupport.unpark(thread); // a failed carrier sleeps on its park permit, not in the ring
            return;
        }
        // The carrier publishes idle = true before its last look at the queues; this read follows
        // our queue insertion, so one of the two sides sees the other (both are volatile).
        if ((boolean) IDLE.getVolatile(this) && IDLE.compareAndSet(this, true, false)) {
            ring.wakeup();
        }
    }

    // ---------------------------------------------------------------- requests (carrier thread)

    public DescriptorPool pool() {
        return pool;
    }

    /** Stamps {@code d} with a fresh generation and writes its submission; flushes first if the SQ is full. */
    public void submit(Descriptor d) {
        d.timeoutDeadline(0);
        DescriptorPool.stampSubmitted(d);
        if (failure != null) {
            return; // no ring to write to: awaitDone throws for it
        }
        enqueue(d);
        stats.submissions++;
    }

    /**
     * Writes {@code request}'s submission. When the SQ is full, the ring's own count of what it
     * holds decides (not {@link #unflushed}, which a flush the kernel refused has already reset):
     * submit it; if the kernel took nothing (io_uring_enter failed, e.g. EBUSY while completions
     * wait in its overflow list), reap to make room, and past a few rounds wait briefly in the ring
     * for a completion instead of spinning.
     */
    private void enqueue(IoRequest request) {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            int errors = 0;
            for (int round = 0; failure == null && !ring.enqueue(request); round++) {
                unflushed = 0;
                stats.flushes++;
                try {
                    if (ring.flush() > 0) {
                        continue;
                    }
                    stats.fullQueueStalls++;
                    // Completions reaped here are delivered later (see deliverDeferred): running
                    // their owners now could submit in the middle of a linked pair or chain.
                    if (ring.reap(deferringSink, REAP_BATCH) == 0 && round >= FULL_QUEUE_SPINS) {
                        ring.await(FULL_QUEUE_WAIT_NANOS);
                    }
                    errors = 0;
                } catch (RuntimeException e) {
                    stats.loopFailures++;
                    if (++errors >= MAX_LOOP_FAILURES) {
                        fail(e); // the ring cannot take this request: every caller learns why
                        return;
                    }
                }
            }
            if (failure != null) {
                return; // not written: its caller's awaitDone throws
            }
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
        unflushed++;
    }

    /**
     * Submits {@code d} linked to a LINK_TIMEOUT of {@code timeoutNanos}: if d has not completed
     * by then, the kernel cancels it (d completes with -ECANCELED). The timeout's own completion is
     * consumed here. The pair must reach the kernel in one submission, so whatever is queued goes
     * first and the empty submission queue then has room for both.
     */
    public void submitWithTimeout(Descriptor d, long timeoutNanos) {
        flush(); // an empty submission queue has room for the whole pair
        d.flags(d.flags() | IoRequest.FLAG_LINK);
        submit(d);
        d.timeoutDeadline(System.nanoTime() + timeoutNanos);
        submitTimeout(timeoutNanos);
    }

    /** The LINK_TIMEOUT half of a pair, right after the request it guards. */
    private void submitTimeout(long timeoutNanos) {
        Descriptor timer = pool.tryAcquire();
        if (timer != null) {
            timer.prepare(Op.LINK_TIMEOUT, -1, null, 0, 0, timeoutNanos);
            timer.owner(RELEASE_ON_COMPLETION);
            submit(timer);
        } else {
            IoRequest spare = new IoRequest(); // pool at its bound: a rare allocation, never a wait
            spare.prepare(Op.LINK_TIMEOUT, -1, null, 0, 0, timeoutNanos);
            spare.userData(LINK_TIMEOUT_TOKEN);
            enqueue(spare);
        }
    }

    /**
     * Submits {@code first} (which carries FLAG_LINK) and {@code second} as one linked chain: the
     * kernel starts {@code second} only after {@code first} succeeded in full, else completes it
     * with -ECANCELED. Both complete through the ring as usual.
     */
    public void submitLinked(Descriptor first, Descriptor second) {
        flush(); // a chain must not straddle two submissions: start from an empty queue
        submit(first);
        submit(second);
    }

    /**
     * Parks the current fibril until {@code d} is DONE, and returns its result. If the fibril is
     * the last ready one, the batch is flushed and reaped first, and a completion that is already
     * there is taken without parking. An interrupt submits ASYNC_CANCEL for {@code d} and keeps
     * waiting for d's own completion (the kernel may still write its buffer until then); the
     * interrupt status is restored before returning.
     *
     * @throws CarrierFailedException if this carrier gave up on its ring meanwhile; d then stays
     *         SUBMITTED (out of the pool), as the kernel may still hold it
     */
    public int awaitDone(Descriptor d) throws CarrierFailedException {
        if (local.isEmpty() && remote.isEmpty() && failure == null) {
            flushAndReap();
            if (d.state() == Descriptor.DONE) {
                stats.inlineCompletions++;
                return d.result();
            }
        }
        boolean interrupted = false;
        while (d.state() != Descriptor.DONE) {
            if (failure != null) {
                // The ring is gone: nothing will complete d. Its descriptor (and the buffer it
                // names) stays out of the pool, since the kernel may still hold it.
                d.owner(RELEASE_ON_COMPLETION);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                throw failedException();
            }
            if (Thread.interrupted()) {
                interrupted = true;
                cancel(d);
                continue;
            }
            stats.parks++;
            LockSupport.park(this);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return d.result();
    }

    /** Submits ASYNC_CANCEL for {@code d} once per generation; d still completes through the ring. */
    public void cancel(Descriptor d) {
        if (d.state() != Descriptor.SUBMITTED || d.isCancelRequested() || failure != null) {
            return;
        }
        d.markCancelRequested();
        IoRequest cancel = new IoRequest(); // rare path; the ring may hold it until its completion
        cancel.prepare(Op.ASYNC_CANCEL, -1, null, 0, 0, d.userData());
        cancel.userData(CANCEL_TOKEN);
        enqueue(cancel);
        stats.cancelsSubmitted++;
    }

    /** The pipes of sendFile's SPLICE chains, one per chain in flight. Carrier thread only. */
    public SplicePipePool splicePipes() {
        return splicePipes;
    }

    /** File descriptors this carrier holds for itself: both ends of each splice pipe. Any thread. */
    public int ownFileDescriptors() {
        return splicePipes.openFileDescriptors();
    }

    /**
     * Cancels every request in flight for {@code channel} (an asynchronous close of it). Requests
     * are matched by the channel they were submitted for, not by fd number: this command runs
     * later than the close that sent it, when the channel's fd may already be closed and its number
     * reused by another channel, whose requests must not be touched.
     */
    public void cancelAllOn(Object channel) {
        pool.forEachSubmitted(d -> {
            if (d.belongsTo(channel)) {
                cancel(d);
            }
        });
    }

    @Override
    public void onCompletion(long token, int result) {
        if (token == CANCEL_TOKEN || token == LINK_TIMEOUT_TOKEN) {
            return;
        }
        Descriptor d = pool.lookup(token);
        if (d == null) {
            stats.staleCompletions++;
            return;
        }
        // EAGAIN is what a non-blocking send asked for: its caller gets it, it never goes again.
        boolean transientError = result == -Errno.EINTR
                || (result == -Errno.EAGAIN && !(d.opcode() == Op.SEND && (d.opFlags() & IoRequest.SEND_DONTWAIT) != 0));
        if (transientError && !d.isCancelRequested() && !stopping) {
            // Handled here and never seen by the caller: the same request goes again, after this
            // reap (d stays SUBMITTED meanwhile, so it is neither released nor lost to a cancel);
            // resubmitRetries decides whether its read timeout has run out meanwhile.
            stats.retries++;
            if (retryCount == retries.length) {
                retries = java.util.Arrays.copyOf(retries, retryCount * 2);
            }
            retries[retryCount++] = d.index();
            return;
        }
        if (transientError) {
            result = -Errno.ECANCELED; // being cancelled or stopping: do not go again
        }
        deliver(d, result);
    }

    private void deferCompletion(long token, int result) {
        if (deferredCount == deferredTokens.length) {
            deferredTokens = java.util.Arrays.copyOf(deferredTokens, deferredCount * 2);
            deferredResults = java.util.Arrays.copyOf(deferredResults, deferredCount * 2);
        }
        deferredTokens[deferredCount] = token;
        deferredResults[deferredCount++] = result;
    }

    private void deliverDeferred() {
        for (int i = 0; i < deferredCount; i++) {
            onCompletion(deferredTokens[i], deferredResults[i]); // may defer more: the loop sees them
        }
        deferredCount = 0;
    }

    /** SUBMITTED -> DONE with {@code result}; tells the owner. */
    private void deliver(Descriptor d, int result) {
        d.complete(result);
        if (result >= 0) {
            stats.completionsOk[d.opcode()]++;
        } else {
            stats.completionsFailed[d.opcode()]++;
        }
        Object owner = d.owner();
        if (owner == RELEASE_ON_COMPLETION) {
            pool.release(d);
        } else if (owner instanceof Thread fibril) {
            if (fibril != Thread.currentThread()) {
                LockSupport.unpark(fibril);
            }
        } else if (owner instanceof CompletionListener listener) {
            listener.onCompletion(d);
        }
    }

    /** Hands the batch to the kernel now and takes what has completed (the batch API's submit). */
    public void flushAndReap() {
        try {
            flush();
            reapAvailable();
        } catch (RuntimeException e) {
            // On a fibril's stack with its own request in flight: the ring's failure belongs to
            // the loop (which counts it, and gives the ring up if it persists), not to this call.
            deferLoopFailure(e);
        }
    }

    private void deferLoopFailure(RuntimeException e) {
        if (deferredLoopFailure == null) {
            deferredLoopFailure = e;
        }
    }

    private void flush() {
        if (unflushed > 0) {
            unflushed = 0;
            stats.flushes++;
            boolean pinned = VirtualThreadBridge.pinCurrent();
            try {
                ring.flush();
            } finally {
                VirtualThreadBridge.unpinCurrent(pinned);
            }
        }
    }

    private void reapAvailable() {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            deliverDeferred();
            int n;
            do {
                n = ring.reap(this, REAP_BATCH);
                resubmitRetries();
            } while (n == REAP_BATCH);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    /**
     * Submits the requests that came back with EINTR/EAGAIN. One that carried a LINK_TIMEOUT goes
     * again as a pair with the time left (alone it would keep FLAG_LINK without its timeout, and
     * the next unrelated SQE would join its chain); a chain head without one goes alone, unlinked
     * (its successor was already failed by the kernel when the link broke). A cancel asked for
     * while it waited here ends it with -ECANCELED instead.
     */
    private void resubmitRetries() {
        while (retryCount > 0) {
            // popped one at a time: a reap inside enqueue (full SQ) may push more meanwhile
            Descriptor d = pool.byIndex(retries[--retryCount]);
            if (d.isCancelRequested() || stopping || failure != null) {
                deliver(d, -Errno.ECANCELED);
                continue;
            }
            long deadline = d.timeoutDeadline();
            if (deadline != 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    deliver(d, -Errno.ECANCELED);
                    continue;
                }
                flush();
                DescriptorPool.stampSubmitted(d);
                enqueue(d);
                stats.submissions++;
                submitTimeout(left);
                d.timeoutDeadline(deadline);
            } else {
                d.flags(d.flags() & ~IoRequest.FLAG_LINK);
                DescriptorPool.stampSubmitted(d);
                enqueue(d);
                stats.submissions++;
            }
        }
    }

    // ---------------------------------------------------------------- the loop

    void runLoop() {
        try {
            int failures = 0;
            while (true) {
                try {
                    if (failure != null ? runWithoutRing() : runIteration()) {
                        break;
                    }
                    failures = 0;
                } catch (Throwable t) {
                    // One bad iteration (a backend exception, a CancelledKeyException) must not
                    // strand this carrier's fibrils; a ring that keeps failing is given up.
                    stats.loopFailures++;
                    if (++failures >= MAX_LOOP_FAILURES && failure == null) {
                        fail(t);
                    } else if (failure == null) {
                        LOG.log(System.Logger.Level.WARNING, "Fibril carrier " + index + ": loop iteration failed ("
                                + failures + " of " + MAX_LOOP_FAILURES + " in a row); going on", t);
                    }
                }
            }
        } finally {
            terminate();
        }
    }

    /** One loop iteration; true when the carrier may terminate. */
    private boolean runIteration() {
        drainRemote();
        for (int budget = local.size(); budget > 0; budget--) {
            runTask(local.poll());
        }
        RuntimeException deferred = deferredLoopFailure;
        if (deferred != null) {
            deferredLoopFailure = null;
            throw deferred;
        }
        flush();
        reapAvailable();
        if (!local.isEmpty() || !remote.isEmpty() || unflushed > 0 || deferredCount > 0) {
            return false; // reaping may have resubmitted retries: they must reach the kernel before we sleep
        }
        if (stopping && readyToTerminate()) {
            return true;
        }
        IDLE.setVolatile(this, true);
        if (remote.isEmpty()) {
            ring.await(stopping ? TimeUnit.MILLISECONDS.toNanos(10) : -1);
        }
        IDLE.setVolatile(this, false);
        return false;
    }

    /**
     * The loop of a failed carrier: its fibrils still run (each I/O call now throws), the ring is
     * left alone. It sleeps on the thread's park permit, which {@link #execute} gives once
     * {@link #failure} is set.
     */
    private boolean runWithoutRing() {
        drainRemote();
        for (int budget = local.size(); budget > 0; budget--) {
            runTask(local.poll());
        }
        if (!local.isEmpty() || !remote.isEmpty()) {
            return false;
        }
        if (stopping) {
            return true;
        }
        LockSupport.park(this);
        return false;
    }

    /**
     * Gives up on the ring after {@code cause}: callers waiting for a descriptor or a completion
     * are woken and throw {@link CarrierFailedException} naming it; their submitted descriptors
     * stay out of the pool, since the kernel may still hold them. Visible in stats and the log.
     */
    private void fail(Throwable cause) {
        failure = cause;
        LOG.log(System.Logger.Level.ERROR, "Fibril carrier " + index + " failed and no longer performs I/O; "
                + "calls of its fibrils now throw", cause);
        pool.forEachSubmitted(d -> {
            if (d.owner() instanceof Thread fibril) {
                LockSupport.unpark(fibril);
            } else if (d.owner() instanceof CompletionListener listener) { // foreign calls, batches, sendFile chains
                listener.onCarrierFailed(d);
            }
        });
        PoolWaiter w;
        while ((w = pool.pollWaiter()) != null) {
            w.onRefused();
        }
    }

    /** The exception that calls on a failed carrier throw. */
    public CarrierFailedException failedException() {
        Throwable cause = failure;
        return new CarrierFailedException("Fibril carrier " + index + " failed and no longer performs I/O: " + cause, cause);
    }

    /** The cause that stopped this carrier's ring, or null while it works. */
    public Throwable failure() {
        return failure;
    }

    /**
     * Throws unless new requests may start here: not on a failed carrier, and not on one that is
     * stopping and past its deadline (it waits only for what is still in the kernel).
     */
    void checkAcceptingRequests() throws ClosedChannelException {
        if (failure != null) {
            throw failedException();
        }
        if (stopping && System.nanoTime() - stopDeadlineNanos > 0) {
            throw new RuntimeClosedException("Fibril runtime is closed: carrier " + index + " is stopping");
        }
    }

    private void drainRemote() {
        Runnable task;
        while ((task = remote.poll()) != null) {
            local.offer(task);
        }
    }

    private void runTask(Runnable task) {
        stats.tasksRun++;
        try {
            task.run();
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "task failed on carrier " + index, t);
        }
    }

    /**
     * First call: cancels everything in flight. Then true once the ring holds nothing. There is no
     * deadline here: a request the kernel still holds may still write its caller's buffer, so its
     * caller (fibril or foreign thread) is released only by its own completion. Past the stop
     * deadline no new request starts ({@link #checkAcceptingRequests}), so this ends once the
     * kernel has answered; close() does not wait for that (it says so in the log).
     */
    private boolean readyToTerminate() {
        if (!cancelledAllForStop) {
            cancelledAllForStop = true;
            pool.forEachSubmitted(this::cancel);
            flush();
            return false;
        }
        if (ring.inFlight() == 0) {
            return true;
        }
        if (!warnedPastDeadline && System.nanoTime() - stopDeadlineNanos > 0) {
            warnedPastDeadline = true;
            LOG.log(System.Logger.Level.WARNING, "Fibril carrier " + index + ": " + ring.inFlight()
                    + " request(s) still in the kernel after the close deadline; their callers are released "
                    + "when the kernel completes them");
        }
        return false;
    }

    private void terminate() {
        terminated = true;
        // Commands that raced with the stop are failed by their senders (see isTerminated).
        Runnable task;
        while ((task = remote.poll()) != null) {
            if (task instanceof ForeignRequest call) {
                call.abandon();
            }
        }
        PoolWaiter w;
        while ((w = pool.pollWaiter()) != null) {
            w.onRefused();
        }
        try {
            splicePipes.closeAll();
            if (ring.inFlight() == 0) {
                ring.close();
            }
            // else: a failed carrier; the kernel may still own buffers of requests in flight, so
            // the ring is left open (leaked) rather than unmapped under the kernel's feet.
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Fibril carrier " + index + ": releasing its ring failed", e);
        }
    }

    /** Asks the loop to finish: cancel what is in flight, reap it, then stop by {@code deadlineNanos}. */
    public void stop(long deadlineNanos) {
        stopDeadlineNanos = deadlineNanos;
        stopping = true;
        submitCommand(() -> { });
    }

    public boolean join(long timeoutNanos) throws InterruptedException {
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
        return !thread.isAlive();
    }

    public boolean isTerminated() {
        return terminated;
    }

    public boolean isStopping() {
        return stopping;
    }

    // ---------------------------------------------------------------- accounting

    public CarrierGroup group() {
        return group;
    }

    public int index() {
        return index;
    }

    public CompletionRing ring() {
        return ring;
    }

    public CarrierStats stats() {
        return stats;
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
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pool.capacity(); i++) {
            Descriptor d = pool.byIndex(i);
            if (d.state() != Descriptor.FREE) {
                sb.append("carrier ").append(index).append(" #").append(i).append(' ').append(Op.name(d.opcode()))
                        .append(" fd ").append(d.fd()).append(" state ").append(d.state())
                        .append(" owner ").append(d.owner()).append('\n');
            }
        }
        return sb.toString();
    }

    public Thread thread() {
        return thread;
    }
}
