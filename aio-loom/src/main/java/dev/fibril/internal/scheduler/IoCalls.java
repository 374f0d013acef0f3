package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.internal.io.Descriptor;

import dev.fibril.internal.jdk.BufferSessions;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;

/**
 * The blocking-call protocol that channels use:
 *
 * <pre>
 *   IoRequest r = IoCalls.begin(group, fd);   // a pooled descriptor, or a foreign-call template
 *   try {
 *       r.prepare(Op.READ, fd, buffer, position, length, offset);
 *       int res = IoCalls.submitAndAwait(r);  // parks the fibril until the completion
 *   } finally {
 *       IoCalls.end(r);                        // back to the pool
 *   }
 * </pre>
 *
 * A fibril of one of the group's carriers takes a descriptor from its own carrier's pool (parking
 * while the pool is at its bound) and allocates nothing. Any other thread gets a
 * {@link ForeignRequest} on the carrier that {@code fd} maps to.
 *
 * <p>Sections. For a descriptor, {@code begin} enters a section of its carrier (see
 * {@link Ownership}) and {@code end} leaves it: the fibril owns the carrier in between and is
 * pinned to its thread, except while it parks for a completion or a descriptor, which leaves the
 * section and enters it again on resuming. So a call that completes at once costs one CAS, one
 * that parks two. Code between {@code begin} and {@code end} must not block or yield but through
 * this class ({@link #submitAndAwait}, {@link #yieldOutside}).
 */
public final class IoCalls {
    private IoCalls() {
    }

    /**
     * Takes a request handle for the current thread. A fibril parks here while its carrier's pool
     * is exhausted (back-pressure); an interrupt during that wait throws.
     */
    public static IoRequest begin(CarrierGroup group, int fd) throws ClosedChannelException {
        group.ensureOpenForCalls();
        Carrier c = Carrier.current();
        if (c == null || c.group() != group || !Thread.currentThread().isVirtual()) {
            return new ForeignRequest(group.carrierFor(fd));
        }
        c.enter();
        try {
            return acquire(c);
        } catch (ClosedChannelException | RuntimeException e) {
            c.exit();
            throw e;
        }
    }

    /**
     * As {@link #begin} for a fibril of the group on its carrier, but never waits: null (and no
     * section entered) when the carrier's pool is at its bound. For a call that must not wait for
     * a descriptor, such as a close (the descriptors may all be held by requests that end only once
     * something is closed); its caller then makes the call some other way.
     */
    public static Descriptor tryBegin(CarrierGroup group) throws ClosedChannelException {
        group.ensureOpenForCalls();
        Carrier c = Carrier.current();
        c.enter();
        Descriptor d = null;
        try {
            c.checkAcceptingRequests();
            d = c.pool().tryAcquire();
            return d;
        } finally {
            if (d == null) {
                c.exit();
            }
        }
    }

    /** A TAKEN descriptor of {@code c}, inside a section of it; parks outside it while the pool is at its bound. */
    public static Descriptor acquire(Carrier c) throws ClosedChannelException {
        c.checkAcceptingRequests();
        Descriptor d = c.pool().tryAcquire();
        return d != null ? d : awaitDescriptor(c);
    }

    /**
     * Submits the prepared request and parks (or blocks) until its completion; returns the CQE
     * result. If {@code closing} reports the channel closed once the request is in the ring, the
     * request is cancelled: a concurrent close either finds it submitted or is seen here.
     */
    public static int submitAndAwait(IoRequest request, CloseSignal closing) throws ClosedChannelException {
        return submitAndAwait(request, 0, closing);
    }

    /**
     * As {@link #submitAndAwait(IoRequest, CloseSignal)}, with a LINK_TIMEOUT of {@code timeoutNanos}
     * (0: none) after the request: if it has not completed by then it completes with -ECANCELED.
     *
     * <p>The buffer's memory session (a closeable {@code Arena}'s) is held from before the
     * submission until the completion was reaped, as java.nio holds it for a call; a call that
     * throws because its carrier failed keeps holding it, since the kernel may still use the memory.
     *
     * @throws IllegalStateException if the buffer's arena is closed (nothing is submitted)
     */
    public static int submitAndAwait(IoRequest request, long timeoutNanos, CloseSignal closing) throws ClosedChannelException {
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
            result = submitAndAwaitHeld(request, timeoutNanos, closing);
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

    private static int submitAndAwaitHeld(IoRequest request, long timeoutNanos, CloseSignal closing) throws ClosedChannelException {
        if (request instanceof Descriptor d) {
            Carrier c = Carrier.current(); // inside begin's section
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
            return c.awaitDone(d);
        }
        return ((ForeignRequest) request).execute(timeoutNanos, closing);
    }

    /**
     * Between {@link #begin} and {@link #end}: lets the carrier run its other fibrils before this
     * one goes on (leaving the section for the yield), or yields the thread off a fibril.
     */
    public static void yieldOutside(IoRequest request) throws ClosedChannelException {
        if (request instanceof Descriptor) {
            Carrier.current().yieldOutside();
        } else {
            Thread.yield();
        }
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

    /**
     * Returns the handle taken by {@link #begin} and leaves its section. A descriptor still
     * SUBMITTED (its call threw because the carrier failed) is left where it is: the kernel may
     * still hold it.
     */
    public static void end(IoRequest request) {
        if (request instanceof Descriptor d) {
            Carrier c = Carrier.current();
            try {
                if (d.state() != Descriptor.SUBMITTED) {
                    c.pool().release(d);
                }
            } finally {
                c.exit();
            }
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
