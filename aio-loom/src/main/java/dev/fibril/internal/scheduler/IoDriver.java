/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.DescriptorPool;
import dev.fibril.internal.io.PoolWaiter;
import dev.fibril.internal.io.SplicePipePool;

import java.util.concurrent.TimeUnit;

/**
 * One carrier's I/O: its ring, its descriptor pool and its splice pipes. It writes submissions
 * (single, linked to a LINK_TIMEOUT, or chained), cancels, flushes, reaps, and dispatches each
 * completion to its owner, retrying EINTR/EAGAIN itself; after repeated ring failures it gives
 * the ring up ({@link #fail}).
 *
 * <p>It knows nothing of scheduling but {@link Host}. Every method but the accessors is called by
 * the one thread that owns the carrier at that moment (see {@link Ownership}): the carrier's loop,
 * or a fibril inside a section, which is pinned to its thread for the whole section, so a backend
 * that blocks inside a call blocks that thread, as a system call does, and never lets another
 * caller into the ring half-way through.
 */
public final class IoDriver implements CompletionSink {
    /** What the driver needs from its carrier. */
    interface Host {
        /** True once the runtime is closing: transient errors are not retried any more. */
        boolean isStopping();
    }

    static final int REAP_BATCH = 256;
    /** Rounds of flush-and-reap on a full SQ before waiting in the ring between rounds. */
    private static final int FULL_QUEUE_SPINS = 16;
    private static final long FULL_QUEUE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Consecutive failed ring calls (or loop iterations) after which the ring is given up. */
    static final int MAX_FAILURES = 3;
    /** sendFile chains in flight at once with a pipe each; more send through memory (see SplicePipePool). */
    private static final int SPLICE_PIPES = 16;
    private static final System.Logger LOG = System.getLogger("dev.fibril");

    private final int index;
    /** The ring's completion overflows reported so far (see {@link RingOverflowEvent}). */
    private long seenOverflows;
    private final Host host;
    private final CompletionRing ring;
    private final DescriptorPool pool;
    private final SplicePipePool splicePipes;
    private final CarrierStats stats;
    private final DeferredCompletions deferred = new DeferredCompletions();
    /** Why the ring was given up; null while it works. */
    private volatile Throwable failure;
    private int unflushed;
    private final IoRetries retries = new IoRetries();
    /** A ring failure met on a fibril's stack, rethrown by the loop (first one only). */
    private RuntimeException deferredLoopFailure;

    IoDriver(int index, Host host, CompletionRing ring, DescriptorPool pool, SplicePipePool splicePipes, CarrierStats stats) {
        this.index = index;
        this.host = host;
        this.ring = ring;
        this.pool = pool;
        this.splicePipes = splicePipes;
        this.stats = stats;
    }

    // ---------------------------------------------------------------- submitting

    /** TAKEN -> SUBMITTED, and writes its submission; flushes first if the SQ is full. */
    public void submit(Descriptor d) {
        d.timeoutDeadline(0);
        d.submit();
        if (failure != null) {
            return; // no ring to write to: the caller's wait throws for it
        }
        try {
            enqueue(d);
        } catch (RuntimeException e) {
            // nothing reached the ring (it gave its slot back): the descriptor is the caller's to give back
            d.submissionFailed();
            throw e;
        }
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
        int errors = 0;
        for (int round = 0; failure == null && !ring.enqueue(request); round++) {
            unflushed = 0;
            stats.flushes++;
            try {
                if (ring.flush() > 0) {
                    continue;
                }
                stats.fullQueueStalls++;
                // completions reaped here are delivered later: see DeferredCompletions
                if (ring.reap(deferred, REAP_BATCH) == 0 && round >= FULL_QUEUE_SPINS) {
                    ring.await(FULL_QUEUE_WAIT_NANOS);
                }
                errors = 0;
            } catch (RuntimeException e) {
                stats.loopFailures++;
                if (++errors >= MAX_FAILURES) {
                    fail(e); // the ring cannot take this request: every caller learns why
                    return;
                }
            }
        }
        if (failure == null) {
            unflushed++;
        }
    }

    /**
     * Submits {@code d} linked to a LINK_TIMEOUT of {@code timeoutNanos}: if d has not completed
     * by then, the kernel cancels it (d completes with -ECANCELED). The timeout's own completion is
     * consumed here. The pair must reach the kernel in one submission, so whatever is queued goes
     * first and the empty submission queue then has room for both.
     */
    public void submitWithTimeout(Descriptor d, long timeoutNanos) {
        flush();
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
            timer.releaseOnCompletion();
            submit(timer);
        } else {
            // Pool at its bound: a rare allocation, never a wait. Not a Descriptor, so its
            // completion is recognised as nobody's (see onCompletion).
            IoRequest spare = new IoRequest();
            spare.prepare(Op.LINK_TIMEOUT, -1, null, 0, 0, timeoutNanos);
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

    /** Submits ASYNC_CANCEL for {@code d} once per submission; d still completes through the ring. */
    public void cancel(Descriptor d) {
        if (d.state() != Descriptor.SUBMITTED || d.isCancelRequested() || failure != null) {
            return;
        }
        if (d.opcode() == Op.CLOSE) {
            // Never cancelled: whether a cancelled CLOSE released the fd differs by kernel and
            // backend, and a caller that closes again could close a number reused meanwhile.
            return;
        }
        d.markCancelRequested();
        // Rare path; the ring may hold it until its completion. By reference: the ring finds d's
        // slot from it, and a d that completed before the cancel reaches the kernel is not touched.
        IoRequest cancel = new IoRequest();
        cancel.prepareCancel(d);
        enqueue(cancel);
        stats.cancelsSubmitted++;
    }

    /**
     * Cancels every request in flight for {@code channel} (an asynchronous close of it). Requests
     * are matched by the channel they were submitted for, not by fd number: this runs later than
     * the close that asked for it, when the fd may already be closed and its number reused.
     */
    public void cancelAllOn(Object channel) {
        pool.forEachSubmitted(d -> {
            if (d.belongsTo(channel)) {
                cancel(d);
            }
        });
    }

    void cancelAll() {
        pool.forEachSubmitted(this::cancel);
    }

    // ---------------------------------------------------------------- flushing and reaping

    /** Hands the batch to the kernel now and takes what has completed. On a fibril's stack. */
    public void flushAndReap() {
        try {
            flush();
            reapAvailable();
        } catch (RuntimeException e) {
            // A fibril with its own request in flight: the ring's failure belongs to the loop
            // (which counts it, and gives the ring up if it persists), not to this call.
            if (deferredLoopFailure == null) {
                deferredLoopFailure = e;
            }
        }
    }

    /** Rethrows, once, a ring failure that a fibril met (see {@link #flushAndReap}). The loop calls it. */
    void rethrowDeferredFailure() {
        RuntimeException deferred = deferredLoopFailure;
        if (deferred != null) {
            deferredLoopFailure = null;
            throw deferred;
        }
    }

    void flush() {
        if (unflushed > 0) {
            unflushed = 0;
            stats.flushes++;
            ring.flush();
        }
    }

    void reapAvailable() {
        deferred.deliverTo(this);
        int n;
        do {
            n = ring.reap(this, REAP_BATCH);
            retries.resubmitAll(this);
        } while (n == REAP_BATCH);
        long overflows = ring.completionOverflows();
        if (overflows != seenOverflows) {
            RingOverflowEvent.report(index, overflows - seenOverflows, overflows);
            seenOverflows = overflows;
        }
    }

    /** Submissions not flushed yet, or completions not delivered yet: the loop must not sleep. */
    boolean hasPendingWork() {
        return unflushed > 0 || !deferred.isEmpty();
    }

    /** Sleeps in the ring until a completion, a wake-up or {@code timeoutNanos} (negative: none). */
    void await(long timeoutNanos) {
        ring.await(timeoutNanos);
    }

    /**
     * A completion, handed back as the request that was enqueued: the ring has already told it
     * from a stale one (its own slot generation), so no lookup and no second generation check here.
     * The runtime's own ASYNC_CANCELs and spare LINK_TIMEOUTs are plain requests, not descriptors,
     * and nobody waits for them. A descriptor not in flight here (not SUBMITTED, or another
     * carrier's) would be a ring's bug: counted, never delivered.
     */
    @Override
    public void onCompletion(IoRequest request, int result) {
        if (!(request instanceof Descriptor d)) {
            return;
        }
        if (d.state() != Descriptor.SUBMITTED || d.pool() != pool) {
            stats.staleCompletions++;
            return;
        }
        if (d.more()) {
            (result >= 0 ? stats.completionsOk : stats.completionsFailed)[d.opcode()]++; // only the last one ends it
            d.completeMore(result);
            return;
        }
        boolean transientError = IoRetries.isTransient(d, result);
        if (transientError && !d.isCancelRequested() && !host.isStopping()) {
            // Never seen by the caller: the same request goes again, after this reap. Counted as a
            // retry when it goes again: one ended here by a cancel or its deadline is a completion.
            retries.add(d);
            return;
        }
        deliver(d, transientError ? -Errno.ECANCELED : result); // cancelled or stopping: do not go again
    }

    /** Counts, then SUBMITTED -> DONE with {@code result}, which tells its waiter or listener. */
    void deliver(Descriptor d, int result) {
        if (result >= 0) {
            stats.completionsOk[d.opcode()]++;
        } else {
            stats.completionsFailed[d.opcode()]++;
        }
        d.complete(result);
    }

    /** Whether a request that met a transient error may go again: the carrier neither stops nor failed. */
    boolean mayRetry() {
        return !host.isStopping() && failure == null;
    }

    /** A retry of {@code d} with a LINK_TIMEOUT of the {@code leftNanos} left of its deadline (see {@link IoRetries}). */
    void resubmitWithTimeout(Descriptor d, long leftNanos) {
        long deadline = d.timeoutDeadline();
        flush();
        d.resubmit();
        enqueue(d);
        stats.submissions++;
        stats.retries++;
        submitTimeout(leftNanos);
        d.timeoutDeadline(deadline);
    }

    /** A retry of {@code d} alone, unlinked (see {@link IoRetries}). */
    void resubmitAlone(Descriptor d) {
        d.flags(d.flags() & ~IoRequest.FLAG_LINK);
        d.resubmit();
        enqueue(d);
        stats.submissions++;
        stats.retries++;
    }

    // ---------------------------------------------------------------- failure

    /**
     * Gives up on the ring after {@code cause}: callers waiting for a descriptor or a completion
     * are woken and throw {@link CarrierFailedException} naming it; their submitted descriptors
     * stay out of the pool, since the kernel may still hold them. Visible in stats and the log.
     */
    void fail(Throwable cause) {
        failure = cause;
        LOG.log(System.Logger.Level.ERROR, "Fibril carrier " + index + " failed and no longer performs I/O; "
                + "calls of its fibrils now throw", cause);
        pool.forEachSubmitted(Descriptor::carrierFailed);
        refuseWaiters();
    }

    /** Fails every caller queued for a descriptor (terminating, or the ring was given up). */
    void refuseWaiters() {
        PoolWaiter w;
        while ((w = pool.pollWaiter()) != null) {
            w.onRefused();
        }
    }

    /** The cause that stopped the ring, or null while it works. Any thread. */
    public Throwable failure() {
        return failure;
    }

    /** The exception that calls on a failed carrier throw. */
    public CarrierFailedException failedException() {
        Throwable cause = failure;
        return new CarrierFailedException("Fibril carrier " + index + " failed and no longer performs I/O: " + cause, cause);
    }

    /** Closes the splice pipes, and the ring unless the kernel may still hold requests (a failed carrier). */
    void release() {
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

    // ---------------------------------------------------------------- accessors

    public DescriptorPool pool() {
        return pool;
    }

    public CompletionRing ring() {
        return ring;
    }

    /** The pipes of sendFile's SPLICE chains, one per chain in flight. */
    public SplicePipePool splicePipes() {
        return splicePipes;
    }

    static SplicePipePool newSplicePipes(dev.fibril.aio.spi.Backend backend) {
        return new SplicePipePool(backend, SPLICE_PIPES);
    }

    /** One line per descriptor not FREE (control plane, racy read: for diagnostics only). */
    String describeDescriptors() {
        return pool.describe("carrier " + index);
    }
}
