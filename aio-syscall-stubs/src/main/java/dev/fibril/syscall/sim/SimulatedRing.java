/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.syscall.link.LinkChains;
import dev.fibril.syscall.link.LinkHost;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A completion ring of the {@link SimulatedKernel}: a bounded submission queue of request
 * references, executed in order by {@link #flush()}, and a heap of completions keyed by the time
 * they become available (flush time plus latency).
 *
 * <p>Threads: the owner thread (the carrier, or a fibril running on it) calls every method but
 * {@link #wakeup()}. Other threads reach the ring in three ways only, each ending in an unpark of
 * the thread last in {@link #await}: {@link #wakeup()}; the completion of a socket op that waited
 * (a peer's SEND on another ring delivered data, a close), which posts the op's slot to an
 * {@link MpscCompletionQueue}; and the close of an fd, offered to an
 * {@link MpscClosedDescriptorQueue}. The owner applies both queues whenever it reaps or awaits.
 * A flush takes the monitors of the sockets, listeners and queues it touches, which other rings'
 * threads may hold: it then blocks the owner thread (a fibril calling it is pinned to its carrier
 * by the runtime), and no other call on this ring may start before it returns.
 *
 * <p>Execution: every op runs when flushed; file ops, NOP, CONNECT, SHUTDOWN and socket ops that
 * can complete at once finish then, and only their completion is delayed by the latency model.
 * RECV, SEND, ACCEPT and POLL_ADD that cannot complete wait on their socket as {@link PendingOp}s; once they
 * complete, their latency counts from then. TIMEOUT completes with {@code -ETIME} its
 * {@code offset()} nanoseconds (plus its latency) after the flush. Faults are decided at flush time
 * from this ring's random stream (seeded from the kernel's seed and the ring's index), so one seed
 * and one sequence of submissions give one sequence of completions.
 *
 * <p>Time: the kernel's clock (real by default). With virtual time ({@link SimulatedKernelBuilder#virtualTime()})
 * an await that finds nothing due moves the clock to the next due completion or link deadline and
 * returns, rather than sleeping until then.
 *
 * <p>Closing an fd (any thread) tells every ring; the owner completes, at its next reap or await,
 * the completions it still holds back for that descriptor with {@code -ECANCELED}.
 *
 * <p>Identity: every request has a slot in {@link RequestSlots} from enqueue to reap, whose token
 * its completion carries; the reap hands the request itself back to the sink.
 *
 * <p>ASYNC_CANCEL ({@link Cancellations}) cancels, on this ring only, its target if that waits on
 * a socket or its completion is not yet due (a TIMEOUT, or a completion held back by latency),
 * found through its slot: the target completes with {@code -ECANCELED}, the cancel with 0. It
 * completes with {@code -ENOENT} otherwise, including when the target's completion is due but not
 * yet reaped; it never completes with {@code -EALREADY}, as ops do not stay in execution here.
 * Cancelling a completion held back by latency replaces its result only: the op's effect (bytes
 * moved) stays, and a cancelled ACCEPT's new fd is closed.
 *
 * <p>Links: {@link IoRequest#FLAG_LINK} chains and LINK_TIMEOUT run as in io_uring, on the
 * kernel's clock; {@link LinkChains}, shared with the epoll ring, says how.
 *
 * <p>Unsupported: the opcode SPLICE completes with {@code -EINVAL}, as
 * io_uring does for an op it does not know.
 *
 * <p>Shutdown: {@link #close()} cancels the ops still waiting on sockets (so no socket keeps an op
 * of a dead ring) and abandons the completions not yet reaped; later posts are dropped.
 */
public final class SimulatedRing implements CompletionRing {
    /** An op result meaning "queued on a socket; completes later". Never a valid result. */
    static final int WAITING = LinkHost.WAITING;

    private static final VarHandle WOKEN;

    static {
        try {
            WOKEN = MethodHandles.lookup().findVarHandle(SimulatedRing.class, "woken", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SimulatedKernel kernel;
    private final int index;
    private final LongSupplier clock;
    /** The kernel's virtual clock, moved on by {@link #await} when nothing else can happen; null with real time. */
    private final ManualClock virtualClock;

    private final IoRequest[] submissions;
    private final int mask;
    private int sqHead;
    private int sqCount;

    private final CompletionHeap completions;
    private final PendingOpTable pending;
    private final MpscCompletionQueue posted = new MpscCompletionQueue();
    private final RequestSlots slots = new RequestSlots(64);
    private final HeldCompletions held;
    private final SimulatedOps ops;
    private final LinkChains chains;
    private final Cancellations cancels;

    private long kernelCalls;
    private boolean closed;

    /** The thread in (or last in) {@link #await}: the one to unpark. */
    private volatile Thread owner;
    /** 1 when a wake-up came that no await has consumed yet. */
    private volatile int woken;

    SimulatedRing(SimulatedKernel kernel, int index, int submissionEntries, LongSupplier clock,
                  LatencyModel latency, FaultPlan faults, long seed) {
        this.kernel = kernel;
        this.index = index;
        this.clock = clock;
        this.virtualClock = kernel.virtualClock();
        this.submissions = new IoRequest[submissionEntries];
        this.mask = submissionEntries - 1;
        this.completions = new CompletionHeap(slots, Math.max(64, submissionEntries));
        this.pending = new PendingOpTable(this, 64);
        this.held = new HeldCompletions(slots, submissionEntries);
        this.cancels = new Cancellations(this, kernel, clock, slots, pending, completions, held);
        this.ops = new SimulatedOps(kernel, latency, faults, new SplittableRandom(seedFor(seed, index)),
                completions, held, pending, slots, cancels);
        this.chains = ops.chains();
    }

    /** The carrier index this ring was opened for. */
    public int index() {
        return index;
    }

    @Override
    public boolean enqueue(IoRequest request) {
        Objects.requireNonNull(request, "request");
        ensureOpen();
        if (sqCount == submissions.length) {
            return false;
        }
        submissions[(sqHead + sqCount) & mask] = request;
        sqCount++;
        slots.acquire(request);
        return true;
    }

    /** Executes every enqueued request in order: one kernel call. A flush with nothing enqueued makes no call, as liburing's submit. */
    @Override
    public int flush() {
        ensureOpen();
        int n = sqCount;
        if (n == 0) {
            return 0;
        }
        kernelCalls++;
        long now = clock.getAsLong();
        ops.flushing = true;
        try {
            for (int i = 0; i < n; i++) {
                IoRequest request = submissions[sqHead];
                submissions[sqHead] = null;
                // The head moves before the request runs, so a request that throws (a bug) loses only itself.
                sqHead = (sqHead + 1) & mask;
                sqCount--;
                if (!chains.follows(request, now)) {
                    if ((request.flags() & IoRequest.FLAG_LINK) != 0) {
                        chains.head(request, now);
                    } else {
                        ops.submit(request, now, Long.MIN_VALUE);
                    }
                }
            }
        } finally {
            ops.flushing = false;
            chains.endFlush();
            for (int i = 0; i < held.count; i++) {
                completions.push(held.due[i], held.token[i], held.result[i], held.opcode[i], held.descriptor[i]);
            }
            held.clear();
        }
        return n;
    }

    @Override
    public int reap(CompletionSink sink, int max) {
        drainPosted();
        cancels.forClosedDescriptors();
        expireLinkTimeouts();
        if (completions.isEmpty() || max <= 0) {
            return 0;
        }
        long now = clock.getAsLong();
        int reaped = 0;
        while (reaped < max && !completions.isEmpty() && completions.peekDue() <= now) {
            IoRequest request = slots.complete(completions.peekToken()); // null: stale, counted there
            int result = completions.peekResult();
            // Removed before the sink runs: the sink may enqueue and flush, and a sink that throws has still had its completion.
            completions.pop();
            if (request != null) {
                reaped++;
                sink.onCompletion(request, result);
            }
        }
        return reaped;
    }

    @Override
    public void await(long timeoutNanos) {
        kernelCalls++;
        Thread me = Thread.currentThread();
        // Written before the checks below: a waker that sets woken (or posts) after our check reads this owner and unparks us.
        owner = me;
        long start = System.nanoTime();
        for (;;) {
            drainPosted();
            cancels.forClosedDescriptors();
            expireLinkTimeouts();
            if ((int) WOKEN.getAndSet(this, 0) != 0) {
                return;
            }
            long now = clock.getAsLong();
            if (!completions.isEmpty() && completions.peekDue() <= now) {
                return;
            }
            long park = Long.MAX_VALUE;
            if (timeoutNanos >= 0) {
                park = timeoutNanos - (System.nanoTime() - start);
                if (park <= 0) {
                    return;
                }
            }
            long next = Long.MAX_VALUE; // on the kernel's clock: when the next completion or link deadline is due
            if (!completions.isEmpty()) {
                next = completions.peekDue();
            }
            if (chains.hasArmed()) {
                next = Math.min(next, chains.earliestDeadline());
            }
            if (virtualClock != null && next != Long.MAX_VALUE && next > now) {
                // Nothing is due and the owner has nothing to run: in virtual time the wait is over at once.
                virtualClock.advanceTo(next);
                continue;
            }
            if (next != Long.MAX_VALUE) {
                long untilNext = next - now;
                // Positive unless it overflowed (a saturated due time): then only the timeout bounds the park.
                park = untilNext > 0 ? Math.min(park, untilNext) : park;
            }
            if (park == Long.MAX_VALUE) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, park);
            }
        }
    }

    @Override
    public void wakeup() {
        if ((int) WOKEN.getAndSet(this, 1) == 0) {
            unparkOwner();
        }
    }

    @Override
    public int inFlight() {
        return slots.live();
    }

    @Override
    public long kernelCalls() {
        return kernelCalls;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        pending.cancelAll();
        posted.close();
        chains.clear();
        slots.clear();
        closed = true;
        kernel.ringClosed(this);
    }

    @Override
    public String toString() {
        return "SimulatedRing[" + index + ", inFlight=" + slots.live() + "]";
    }

    long now() {
        return clock.getAsLong();
    }

    /** Any thread: {@code descriptor} was closed; completions held back for it are to complete with -ECANCELED. */
    void descriptorClosed(Descriptor descriptor) {
        cancels.descriptorClosed(descriptor);
        unparkOwner();
    }

    /** Any thread: a waiting op in {@code slot} completed. */
    void post(int slot) {
        if (posted.offer(slot)) {
            unparkOwner();
        }
    }

    private void unparkOwner() {
        Thread t = owner;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Fires the link timeouts that are due, then takes in the cancellations they posted. */
    private void expireLinkTimeouts() {
        if (chains.hasArmed()) {
            chains.expire(clock.getAsLong());
            drainPosted();
        }
    }

    /** Moves completions posted by other threads (and by this one, for ops that waited) into the heap. */
    void drainPosted() {
        if (posted.isEmpty()) {
            return;
        }
        int n = posted.swap();
        int[] slots = posted.drained();
        boolean links = false;
        for (int i = 0; i < n; i++) {
            PendingOp op = pending.get(slots[i]);
            // A cancelled op completes at once; a completed one after its latency, counted from its completion.
            long due = op.result == -Errno.ECANCELED ? op.completedAt : saturatedAdd(op.completedAt, op.delayNanos);
            due = Math.max(due, op.notBefore);
            completions.push(due, op.token, op.result, op.opcode, op.descriptor);
            if (op.link != LinkChains.NONE) {
                chains.noteCompleted(op.link, op.result, due);
                links = true;
            }
            pending.release(op);
        }
        if (links) {
            // After the loop: starting a successor may post (and drain) again, which must not reuse the drained slots.
            chains.runCompleted(clock.getAsLong());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("ring " + index + " is closed");
        }
    }

    static long saturatedAdd(long a, long b) {
        long sum = a + b;
        // Overflow only when both operands have the sign the sum lacks.
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /** A seed per ring: the kernel's seed and the ring's index through the SplitMix64 finaliser. */
    private static long seedFor(long seed, int index) {
        long z = seed + 0x9E3779B97F4A7C15L * (index + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
