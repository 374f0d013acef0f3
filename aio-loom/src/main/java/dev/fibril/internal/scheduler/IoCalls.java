/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.internal.io.Descriptor;

import dev.fibril.internal.jdk.BufferSessions;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;

/**
 * The blocking-call protocol under {@link IoCall}: taking a descriptor (with back-pressure),
 * submitting a request and waiting for its completion, giving the descriptor back, and the
 * cancels a close sends. Every method that names a carrier is called inside a section of it
 * (see {@link Ownership}), by the call's owner.
 */
public final class IoCalls {
    private IoCalls() {
    }

    /** A TAKEN descriptor of {@code c}, inside a section of it; parks outside it while the pool is at its bound. */
    public static Descriptor acquire(Carrier c) throws ClosedChannelException {
        c.checkAcceptingRequests();
        Descriptor d = c.pool().tryAcquire();
        return d != null ? d : awaitDescriptor(c);
    }

    /**
     * Submits the prepared request and parks (or blocks) until its completion; returns the CQE
     * result. {@code c} is the carrier whose section the caller is in, or null for a foreign
     * request. With a LINK_TIMEOUT of {@code timeoutNanos} (0: none) after the request: if it has
     * not completed by then it completes with -ECANCELED. If {@code closing} reports the channel
     * closed once the request is in the ring, the request is cancelled.
     *
     * <p>The buffer's memory session (a closeable {@code Arena}'s) is held from before the
     * submission until the completion was reaped, as java.nio holds it for a call; a call that
     * throws because its carrier failed keeps holding it, since the kernel may still use the memory.
     *
     * @throws IllegalStateException if the buffer's arena is closed (nothing is submitted)
     */
    static int submitAndAwait(Carrier c, IoRequest request, long timeoutNanos, CloseSignal closing)
            throws ClosedChannelException {
        ByteBuffer buffer = request.buffer();
        boolean inArena = BufferSessions.acquire(buffer); // false, at no cost, for most buffers
        if (inArena) {
            try {
                // the carrier's thread may change (a hand-off) while the request is in flight
                request.buffer(BufferSessions.accessibleToAnyThread(buffer));
            } catch (RuntimeException e) {
                BufferSessions.release(buffer); // nothing was submitted
                throw e;
            }
        }
        int result;
        try {
            result = submitAndAwaitHeld(c, request, timeoutNanos, closing);
        } catch (RuntimeClosedException notStarted) {
            if (inArena) {
                BufferSessions.release(buffer);
            }
            throw notStarted;
        }
        if (inArena) {
            BufferSessions.release(buffer);
        }
        return result;
    }

    private static int submitAndAwaitHeld(Carrier c, IoRequest request, long timeoutNanos, CloseSignal closing)
            throws ClosedChannelException {
        if (c == null) {
            return ((ForeignRequest) request).execute(timeoutNanos, closing);
        }
        Descriptor d = (Descriptor) request;
        IoDriver io = c.io();
        d.retake(); // a follow-up request on the same descriptor (DONE), or its first (TAKEN)
        d.awaitedBy(Thread.currentThread());
        d.channel(closing);
        if (timeoutNanos > 0) {
            io.submitWithTimeout(d, timeoutNanos);
        } else {
            io.submit(d);
        }
        if (closing.isClosed()) {
            io.cancel(d);
        }
        return awaitDone(c, d);
    }

    /**
     * Inside a section of {@code c}: parks the current fibril until {@code d} is DONE, and returns
     * its result. If the fibril is the last ready one, the batch is flushed and reaped first, and
     * a completion that is already there is taken without parking. An interrupt submits
     * ASYNC_CANCEL for {@code d} and keeps waiting for d's own completion (the kernel may still
     * write its buffer until then); the interrupt status is restored before returning.
     *
     * @throws CarrierFailedException if the carrier gave up on its ring meanwhile; d then stays
     *         SUBMITTED (out of the pool), as the kernel may still hold it
     */
    static int awaitDone(Carrier c, Descriptor d) throws ClosedChannelException {
        IoDriver io = c.io();
        if (c.local().isEmpty() && c.remote().isEmpty() && io.failure() == null) {
            io.flushAndReap();
            if (d.state() == Descriptor.DONE) {
                c.stats().inlineCompletions++;
                return d.result();
            }
        }
        boolean interrupted = false;
        SlowRequestEvent slow = null;
        if (SlowRequestEvent.ENABLED.isEnabled() && SlowRequestEvent.counts(d.opcode())) { // off: no allocation
            slow = new SlowRequestEvent();
            slow.begin();
        }
        try {
            while (d.state() != Descriptor.DONE) {
                if (io.failure() != null) {
                    // Nothing will complete d: it (and the buffer it names) stays out of the pool.
                    d.releaseOnCompletion();
                    throw io.failedException();
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                    io.cancel(d);
                    continue;
                }
                c.stats().parks++;
                c.parkOutside(c);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (slow != null) {
            slow.end();
            if (slow.shouldCommit()) {
                slow.carrier = c.index();
                slow.operation = dev.fibril.aio.spi.Op.name(d.opcode());
                slow.fd = d.fd();
                slow.result = d.result();
                slow.commit();
            }
        }
        return d.result();
    }

    /**
     * Asks every carrier to cancel the requests in flight for {@code channel} (the
     * {@link CloseSignal} they were submitted with); any thread.
     */
    public static void cancelAllOn(CarrierGroup group, CloseSignal channel) {
        for (Carrier c : group.carriers()) {
            if (!c.isTerminated()) {
                c.submitCommand(() -> c.io().cancelAllOn(channel));
            }
        }
    }

    /** Gives {@code d} back to {@code c}'s pool, unless still SUBMITTED, and leaves the section. */
    static void end(Carrier c, Descriptor d) {
        try {
            if (d.state() != Descriptor.SUBMITTED) {
                c.pool().release(d);
            }
        } finally {
            c.exit();
        }
    }

    private static Descriptor awaitDescriptor(Carrier c) throws ClosedChannelException {
        FibrilPoolWaiter waiter = new FibrilPoolWaiter(Thread.currentThread());
        DescriptorWaitEvent event = new DescriptorWaitEvent(); // the back-pressure path: allocates anyway
        event.begin();
        event.carrier = c.index();
        event.bound = c.pool().bound();
        event.waiters = c.pool().waiting();
        c.pool().await(waiter);
        try {
            return awaitGranted(c, waiter);
        } finally {
            event.granted = waiter.granted() != null;
            event.commit();
        }
    }

    private static Descriptor awaitGranted(Carrier c, FibrilPoolWaiter waiter) throws ClosedChannelException {
        while (waiter.granted() == null) {
            if (waiter.refused()) {
                c.checkAcceptingRequests();
                throw new RuntimeClosedException("Fibril runtime is closed: no descriptor will be granted");
            }
            c.parkOutside(waiter);
            if (Thread.currentThread().isInterrupted() && waiter.giveUp(c.pool())) {
                throw new ClosedByInterruptException();
            }
        }
        return waiter.granted();
    }
}
