/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.IoCall;

import java.io.IOException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A server channel's accepts through one multishot ACCEPT ({@link IoRequest#ACCEPT_MULTISHOT}),
 * where the backend has it: one request accepts every connection, each fd goes to a queue, and
 * {@link #accept()} takes from the queue, parking while it is empty.
 *
 * <p>Threads: accept callers (fibrils of any carrier) take fds and park as waiters; the carrier
 * whose descriptor carries the ACCEPT (its loop, or a fibril in a section) is the one that adds
 * fds, in {@link #onMoreCompletion} and {@link #onCompletion}. Every added fd wakes every waiter
 * (one woken waiter may be leaving, interrupted, and must not swallow the wake-up).
 *
 * <pre>
 *  IDLE  -> ARMED  an accept caller that found the queue empty submits the ACCEPT (a fibril of the
 *                  group; any other caller accepts single-shot, as before)
 *  ARMED -> ARMED  the kernel ended it with an fd and no error: submitted again at once
 *  ARMED -> IDLE   it ended otherwise: cancelled because {@link #QUEUE_BOUND} fds wait (the rest wait
 *                  in the kernel's listen backlog until the queue is empty and a caller arms it
 *                  again), an error (the next accept throws it), the channel's close, the runtime's
 * </pre>
 *
 * The ACCEPT counts as a call of the channel while armed ({@link FdHandle#begin}), so the
 * listening fd is closed only after its last completion; at the close every fd still queued is
 * closed, by whoever sees the queue last: the close (nothing armed) or, after the last completion,
 * a fibril of the group (so the CLOSEs are ring requests, not synchronous calls on the carrier),
 * which then ends the ACCEPT's call and wakes the waiters, whose calls end last. The close waits
 * for that, so a close with no accept in progress returns with the fd closed, as before. Its
 * descriptor is a standing one ({@link dev.fibril.internal.io.DescriptorPool#stand}): it lives as
 * long as the listening server, and counts as a call's only while an accept caller waits.
 */
final class MultishotAccept implements CompletionListener {
    /** Fds queued before the ACCEPT is cancelled; those the kernel posts before the cancel lands queue too. */
    static final int QUEUE_BOUND = 64;
    private static final int IDLE = 0;
    private static final int ARMED = 1;
    /** How long a close waits for the cancelled ACCEPT to end before it returns anyway. */
    private static final long CLOSE_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

    private final FdHandle core;
    // Accepts are not the data path: an fd boxed per connection, next to the channel object made for it.
    private final ConcurrentLinkedQueue<Integer> accepted = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final ConcurrentLinkedQueue<Thread> waiters = new ConcurrentLinkedQueue<>();
    private final AtomicInteger state = new AtomicInteger(IDLE);
    /** The errno that ended the ACCEPT, for the next caller to throw; 0 for none. */
    private final AtomicInteger error = new AtomicInteger();
    /** The carrier of the armed ACCEPT; written before it is submitted, read on that carrier. */
    private volatile Carrier carrier;
    /** The ACCEPT was cancelled because the queue is full; its carrier's only. */
    private boolean pausing;

    private MultishotAccept(FdHandle core) {
        this.core = core;
    }

    /** A helper for {@code core}'s listening socket, or null where the backend accepts single-shot only. */
    static MultishotAccept createIfSupported(FdHandle core) {
        return core.group().backend().acceptsMultishot() ? new MultishotAccept(core) : null;
    }

    /**
     * An accepted fd, parking until one comes; -1 when this caller cannot arm the ACCEPT (not a
     * fibril of the group) and should accept single-shot. Between {@code core.begin} and {@code end}.
     *
     * @throws ErrnoException for an error that ended the ACCEPT (EMFILE, ENFILE, ...), once
     * @throws java.nio.channels.ClosedByInterruptException,
     *         java.nio.channels.AsynchronousCloseException as java.nio's accept
     */
    int accept() throws IOException {
        while (true) {
            Integer fd = accepted.poll();
            if (fd != null) {
                queued.decrementAndGet();
                return fd;
            }
            int errno = error.getAndSet(0);
            if (errno != 0) {
                throw new ErrnoException("accept", errno);
            }
            if (state.get() == IDLE) {
                if (!arm()) {
                    return -1;
                }
                continue;
            }
            Carrier c = carrier;
            if (c != null && c.failure() != null) {
                throw c.failedException();
            }
            Thread me = Thread.currentThread();
            waiters.add(me);
            // added before the look: an fd offered after it finds this waiter and unparks it
            if (accepted.isEmpty() && state.get() == ARMED && error.get() == 0 && !core.isClosed()) {
                LockSupport.park(this);
            }
            waiters.remove(me);
            FdCalls.checkWaitEnded(core);
        }
    }

    /** Submits the ACCEPT from a fibril on its carrier; false (nothing done) for any other caller. */
    private boolean arm() throws IOException {
        if (!DescriptorCalls.onRing(core.group(), Op.ACCEPT)) {
            return false;
        }
        IoCall call = IoCall.begin(core.group(), core.fd());
        IoRequest r = call.request();
        try {
            if (!(r instanceof Descriptor d) || !state.compareAndSet(IDLE, ARMED)) {
                return r instanceof Descriptor; // another caller armed it meanwhile
            }
            try {
                core.begin(); // the ACCEPT is a call of the channel until its last completion
            } catch (IOException e) {
                state.set(IDLE);
                throw e;
            }
            carrier = Carrier.current();
            d.pool().stand(d, () -> !waiters.isEmpty());
            d.notifies(this);
            d.channel(core);
            submit(d);
            return true;
        } finally {
            call.end(); // d stays out of the pool while SUBMITTED
        }
    }

    private void submit(Descriptor d) {
        d.prepare(Op.ACCEPT, core.fd(), null, 0, 0, 0);
        d.opFlags(IoRequest.ACCEPT_MULTISHOT);
        carrier.io().submit(d);
        if (core.isClosed()) {
            carrier.io().cancel(d); // a close that came before this submission found nothing to cancel
        }
    }

    /** An accepted fd, with more to come. On the ACCEPT's carrier. */
    @Override
    public void onMoreCompletion(Descriptor d, int fd) {
        if (fd >= 0) {
            offer(fd);
        }
        if (queued.get() >= QUEUE_BOUND && !pausing && !core.isClosed()) {
            pausing = true; // the rest wait in the listen backlog
            carrier.io().cancel(d);
        }
    }

    /** The ACCEPT's last completion. On its carrier. */
    @Override
    public void onCompletion(Descriptor d) {
        int res = d.result();
        if (res >= 0) {
            offer(res);
        }
        boolean closed = core.isClosed();
        if (res >= 0 && !pausing && !closed && !carrier.isStopping() && queued.get() < QUEUE_BOUND) {
            d.retake();
            submit(d); // the kernel ended it (it may, at any time): accept on
            return;
        }
        if (res < 0 && res != -Errno.ECANCELED && !closed) {
            error.set(-res); // EMFILE and the like: the next accept throws it, the one after arms again
        }
        pausing = false;
        d.pool().unstand(d);
        d.pool().release(d);
        if (!closed) {
            state.set(IDLE);
            wakeAll();
            core.end();
            return;
        }
        try {
            core.group().start(this::endClosed);
        } catch (RuntimeException stopping) {
            endClosed(); // the runtime takes no more fibrils: synchronous closes, then
        }
    }

    /** After the last completion on a closed channel: closes the queued fds, ends the ACCEPT's call, wakes everyone. */
    private void endClosed() {
        try {
            closeQueued();
            core.end(); // closes the listening fd unless an accept caller's call ends later
        } finally {
            state.set(IDLE);
            wakeAll();
        }
    }

    @Override
    public void onCarrierFailed(Descriptor d) {
        wakeAll(); // they throw the carrier's failure; d stays out of the pool
    }

    /**
     * The channel was closed (its requests are being cancelled): with nothing armed, closes the
     * queued fds and wakes the waiters; else waits (at most {@link #CLOSE_WAIT_NANOS}, and not on
     * the ACCEPT's own carrier thread, which must reap the cancel) until the last completion was
     * dealt with, which wakes them. Any thread.
     */
    void onClose() {
        if (state.get() == IDLE) {
            closeQueued();
            wakeAll();
            return;
        }
        Carrier c = carrier;
        if (c == null || (!Thread.currentThread().isVirtual() && Carrier.current() == c) || c.heldByCurrentThread()) {
            return;
        }
        Thread me = Thread.currentThread();
        waiters.add(me);
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        long left;
        while (state.get() == ARMED && c.failure() == null && !c.isTerminated() && !me.isInterrupted()
                && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
        }
        waiters.remove(me);
    }

    private void offer(int fd) {
        accepted.add(fd);
        queued.incrementAndGet();
        wakeAll();
    }

    private void closeQueued() {
        Integer fd;
        while ((fd = accepted.poll()) != null) {
            queued.decrementAndGet();
            DescriptorCalls.close(core.group(), fd);
        }
    }

    private void wakeAll() {
        for (Thread t : waiters) {
            LockSupport.unpark(t);
        }
    }
}
