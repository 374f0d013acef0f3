/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.link.LinkChains;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Selector;

import static dev.fibril.syscall.epoll.RequestTable.QUEUED;

/**
 * A {@link CompletionRing} on one {@link Selector} (epoll on Linux), for one carrier: io_uring's
 * submit/complete shape emulated with readiness.
 *
 * <p>Threads: the owner calls everything except {@link #wakeup()} and {@link #onFdClosed}, which
 * any thread may call. Owner state (request table, timer heap, per-fd FIFOs, counters) is plain
 * fields. The only cross-thread input is the queue of closed fds (a command queue: the backend
 * offers, the owner drains at flush and around each select) and the selector's own wake-up.
 *
 * <p>Submission: {@link #enqueue} takes a slot and appends it to a bounded submission array;
 * {@link #flush} starts the submissions in order. NOP, TIMEOUT, ASYNC_CANCEL need no system call.
 * File READ/WRITE/FSYNC are blocking positional calls made right there ({@link #blockingFileCalls}).
 * {@link EpollRequests} starts and completes them. Socket requests are tried non-blocking first (the fast path, {@link #fastPathCompletions}); only
 * one that would block is parked in its fd's FIFO ({@link ReadinessWaits}) and the channel's key gets
 * the interest it needs. A flush that made any system call counts as one kernel call.
 *
 * <p>Completion: {@link #await} makes one {@code select} (one kernel call), bounded by the earliest
 * timer (a busy poll, below, makes a {@code selectNow}); each ready key retries its fd's parked requests in FIFO order until one would block; due
 * timers then complete. Every result goes to the done queue that {@link #reap} drains. A request
 * completes exactly once: only the owner completes, and only a request it takes off a FIFO, the
 * timer heap or a chain. Links follow io_uring, run by {@link LinkChains} (shared with the
 * simulated kernel's ring): {@link IoRequest#FLAG_LINK} starts the next request when this one
 * succeeds (a failure or a short READ/WRITE completes the rest with -ECANCELED); a LINK_TIMEOUT
 * right after a linked request is armed when that request parks, and whichever of the two finishes
 * first cancels the other.
 *
 * <p>A busy owner still polls: the carrier waits in {@link #await} only when nothing is runnable,
 * so a fibril that is always runnable (NOPs, cached file reads, which complete inside the flush)
 * would hold back every socket wake-up and timer of the ring for as long as it runs. So
 * {@link #reap} also polls, without blocking, at most every {@link #BUSY_POLL_INTERVAL_NANOS}: a
 * {@code selectNow} (when any channel has a key here), then due timers, whose completions that same
 * reap delivers; the {@code selectNow} only when a request is parked on an fd. See
 * {@link #BUSY_POLL_CHECK_REAPS} for what that costs.
 *
 * <p>Wake-up: {@link Selector#wakeup()}, which makes the current select return or, if none is in
 * progress, the next one. The busy poll's {@code selectNow} may consume a wake-up meant for no
 * wait; the carrier announces that it is about to wait only right before {@link #await}, with no
 * reap in between, so a wake-up that must end a wait is never taken by a poll.
 *
 * <p>Shutdown: {@link #close()} abandons what is still in flight (the runtime cancels and reaps
 * first), closes descriptors that completed ACCEPTs created and nobody reaped, and closes the
 * selector, which deregisters its keys so NIO can finish closing their channels.
 */
public final class EpollRing implements CompletionRing {
    /**
     * How many reaps go by between two looks at the clock for the busy poll. Measured on this
     * 2-vCPU VM: a NOP round trip through the ring costs about 45 ns, {@code System.nanoTime} about
     * 25 ns and an empty {@code selectNow} about 300 ns, so a look at the clock on every reap would
     * slow NOPs by half and a poll on every reap would make them seven times slower; one look per
     * 32 reaps costs under 1 ns a reap. Reaps happen at least once per carrier-loop iteration, so
     * however long the fibrils run between their calls, a poll is at most 32 iterations away.
     */
    static final int BUSY_POLL_CHECK_REAPS = 32;
    /**
     * Least time between two busy polls: one {@code selectNow} per 50 µs of a busy carrier is under
     * 1% of its time, and keeps a socket wake-up or a timer within tens of microseconds of when it
     * would have been seen by an idle carrier (the selector counts in milliseconds anyway).
     */
    static final long BUSY_POLL_INTERVAL_NANOS = 50_000;

    private final EpollBackend backend;
    private final FdTable fds;
    private final int id;
    private final int carrierIndex;
    private final long ringBit;
    private final Selector selector;
    private final RequestTable table = new RequestTable();
    private final EpollRequests requests;
    private final int[] submissions;
    private int submitted;
    private final ReadinessWaits readiness;
    private boolean closed;
    // Plain counters, written by the owner only; gauges on other threads may read them a little
    // stale, which is fine for metrics (64-bit HotSpot does not tear long fields).
    private long kernelCalls;
    private long systemCalls;
    private long selects;
    private long fastPathCompletions;
    private long busyPolls;
    private int reapsSinceClockCheck;
    /** When the selector and the timers were last looked at (an await or a busy poll). */
    private long lastPollNanos = System.nanoTime();

    EpollRing(EpollBackend backend, FdTable fds, int id, int carrierIndex, int submissionEntries) throws IOException {
        this.backend = backend;
        this.fds = fds;
        this.id = id;
        this.carrierIndex = carrierIndex;
        this.ringBit = 1L << Math.min(id, 63);
        this.submissions = new int[submissionEntries];
        this.selector = Selector.open();
        this.requests = new EpollRequests(backend, fds, table, selector, ringBit);
        this.readiness = requests.readiness();
    }

    /**
     * {@inheritDoc} Never fails for a bad request: that completes with -errno through {@link #reap}.
     *
     * @throws IllegalStateException if the ring is closed
     */
    @Override
    public boolean enqueue(IoRequest request) {
        if (closed) {
            throw new IllegalStateException("ring " + carrierIndex + " is closed");
        }
        if (submitted == submissions.length) {
            return false;
        }
        submissions[submitted++] = table.acquire(request, QUEUED);
        return true;
    }

    /** {@inheritDoc} Starts them in order; one kernel call when any of them made a system call. */
    @Override
    public int flush() {
        if (closed) {
            return 0;
        }
        drainClosed();
        int n = submitted;
        if (n == 0) {
            return 0;
        }
        boolean madeSystemCall = requests.startAll(submissions, n);
        submitted = 0;
        if (madeSystemCall) {
            kernelCalls++;
        }
        return n;
    }

    /**
     * {@inheritDoc} Every {@link #BUSY_POLL_CHECK_REAPS} reaps it looks at the clock, and when
     * {@link #BUSY_POLL_INTERVAL_NANOS} have passed since the selector and the timers were last
     * looked at, polls both without blocking first, so that their completions are delivered too.
     */
    @Override
    public int reap(CompletionSink sink, int max) {
        if (closed || max <= 0) {
            return 0;
        }
        if (++reapsSinceClockCheck >= BUSY_POLL_CHECK_REAPS) {
            reapsSinceClockCheck = 0;
            long now = System.nanoTime();
            if (now - lastPollNanos >= BUSY_POLL_INTERVAL_NANOS) {
                busyPoll(now);
            }
        }
        int delivered = 0;
        while (delivered < max && table.hasDone()) {
            int slot = table.pollDone();
            IoRequest request = table.request[slot];
            int result = table.result[slot];
            table.release(slot); // before the sink: if it throws, this completion still counts as delivered
            delivered++;
            sink.onCompletion(request, result);
        }
        return delivered;
    }

    /**
     * {@inheritDoc} Starts whatever is still enqueued first, as io_uring_enter submits and waits in
     * one call. Then one select, counted as a kernel call: non-blocking when completions are already
     * waiting or {@code timeoutNanos} is 0, else bounded by the earliest timer (rounded up to a
     * millisecond, the selector's unit).
     */
    @Override
    public void await(long timeoutNanos) {
        if (closed) {
            return;
        }
        if (submitted > 0) {
            flush();
        }
        drainClosed();
        long wait = table.hasDone() ? 0 : timeoutNanos;
        if (wait != 0 && requests.hasTimers()) {
            long untilTimer = Math.max(0, requests.firstDeadline() - System.nanoTime());
            wait = wait < 0 ? untilTimer : Math.min(wait, untilTimer);
        }
        kernelCalls++;
        systemCalls++;
        selects++;
        try {
            if (wait == 0) {
                selector.selectNow(readiness.onSelected);
            } else if (wait < 0) {
                selector.select(readiness.onSelected);
            } else {
                selector.select(readiness.onSelected, ceilMillis(wait));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("select failed on ring " + carrierIndex, e);
        }
        drainClosed();
        lastPollNanos = System.nanoTime();
        requests.expireTimers(lastPollNanos);
    }

    /**
     * What {@link #await} does after its select, for a ring whose owner has not waited for a
     * while: a {@code selectNow} (skipped when no request is parked on an fd: readiness would
     * complete nothing), then due timers and the chain successors they release.
     */
    private void busyPoll(long now) {
        busyPolls++;
        drainClosed();
        if (table.parked() > 0) {
            kernelCalls++;
            systemCalls++;
            selects++;
            try {
                selector.selectNow(readiness.onSelected);
            } catch (IOException e) {
                throw new UncheckedIOException("select failed on ring " + carrierIndex, e);
            }
            drainClosed();
        }
        lastPollNanos = now;
        requests.expireTimers(now);
    }

    @Override
    public void wakeup() {
        selector.wakeup(); // no-op once the selector is closed
    }

    @Override
    public int inFlight() {
        return table.live();
    }

    @Override
    public long kernelCalls() {
        return kernelCalls;
    }

    /**
     * System calls made: each socket try and retry, each file request, each select.
     * {@link #kernelCalls()} counts a flush's calls as one, as io_uring would make one; this does
     * not. Neither sees the epoll_ctl calls NIO makes inside a select for changed interest sets.
     */
    public long systemCalls() {
        return systemCalls + requests.systemCalls() + readiness.readinessRetries();
    }

    /** Selects made by {@link #await} and by busy polls (each also counts as a kernel call). */
    public long selects() {
        return selects;
    }

    /** Polls of the selector and the timers made by {@link #reap} because the owner had not waited for a while. */
    public long busyPolls() {
        return busyPolls;
    }

    /** Socket requests completed by their first non-blocking try, without the selector. */
    public long fastPathCompletions() {
        return requests.fastPathCompletions();
    }

    /** Requests that had to wait for readiness (parked in an fd's FIFO). */
    public long parkedRequests() {
        return readiness.parkedRequests();
    }

    /** Non-blocking retries made after the selector reported readiness. */
    public long readinessRetries() {
        return readiness.readinessRetries();
    }

    /** File READ, WRITE and FSYNC calls, made blocking on the owner thread during {@link #flush}. */
    public long blockingFileCalls() {
        return requests.calls().blockingFileCalls();
    }

    /** Requests whose buffer region could not be borrowed in place and needed a duplicate (an allocation). */
    public long bufferDuplicates() {
        return requests.calls().bufferDuplicates();
    }

    /** Whether this backend implements {@code op} ({@link Op} values); others complete with -EINVAL. */
    public boolean supports(int op) {
        return EpollBackend.supportsOp(op);
    }

    public int carrierIndex() {
        return carrierIndex;
    }

    int id() {
        return id;
    }

    long ringBit() {
        return ringBit;
    }

    /** Makes the owner complete, with -ECANCELED, what it has parked on {@code entry}, which was just closed. Any thread. */
    void onFdClosed(FdEntry entry) {
        readiness.onFdClosed(entry);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        backend.onRingClosed(this);
        while (table.hasDone()) {
            int slot = table.pollDone();
            if (table.opcode[slot] == Op.ACCEPT && table.result[slot] >= 0) {
                backend.close(table.result[slot]); // a connection nobody will hear of
            }
            table.release(slot);
        }
        requests.abandon();
        for (int slot = 0; slot < table.capacity(); slot++) {
            if (table.state[slot] != RequestTable.FREE) {
                table.release(slot); // abandoned: drops the references to the caller's requests
            }
        }
        try {
            selector.close(); // deregisters every key; NIO then finishes closing channels closed meanwhile
        } catch (IOException e) {
            // nothing left to release
        }
    }

    /** Nanoseconds to the selector's milliseconds, rounded up (a timer must not fire early), without overflow. */
    static long ceilMillis(long nanos) {
        long millis = nanos / 1_000_000;
        return nanos % 1_000_000 == 0 ? Math.max(1, millis) : millis + 1;
    }

    private void drainClosed() {
        readiness.drainClosed();
        requests.runLinks();
    }

}
