/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.internal.io.Descriptor;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * One blocking call's request, from begin to end: the flyweight that channels fill and submit.
 *
 * <pre>
 *   IoCall call = IoCall.begin(group, fd);   // the carrier resolved once: a pooled descriptor's call, or a foreign one
 *   try {
 *       int res = call.op(Op.READ, fd).buffer(buffer, position, length).offset(at).submit(closing);
 *   } finally {
 *       call.end();                           // the descriptor back to the pool
 *   }
 * </pre>
 *
 * A fibril of one of the group's carriers gets the call of a descriptor from its own carrier's
 * pool (parking while the pool is at its bound): made once per descriptor and pooled with it, so
 * a call allocates nothing. It remembers the carrier that {@code begin} found, so submit, the
 * wait and end never look it up again. Any other thread gets the call of a {@link ForeignRequest}
 * on the carrier that {@code fd} maps to (the slow path, which allocates).
 *
 * <p>Sections. For a descriptor, {@code begin} enters a section of its carrier (see
 * {@link Ownership}) and {@code end} leaves it: the fibril owns the carrier in between and is
 * pinned to its thread, except while it parks for a completion or a descriptor, which leaves the
 * section and enters it again on resuming. So a call that completes at once costs one CAS, one
 * that parks two. Code between {@code begin} and {@code end} must not block or yield but through
 * this class ({@link #submit}, {@link #yieldOutside}). Fields: the call's owner only.
 */
public final class IoCall {
    /** The carrier whose section the call is in; null for a foreign request's call. */
    private final Carrier carrier;
    /** The request the call fills in place: set up by {@link #op}, then by the setters. */
    private final IoRequest request;
    private long timeoutNanos;

    IoCall(Carrier carrier, IoRequest request) {
        this.carrier = carrier;
        this.request = request;
    }

    /**
     * Takes a call for the current thread. A fibril parks here while its carrier's pool is
     * exhausted (back-pressure); an interrupt during that wait throws.
     */
    public static IoCall begin(CarrierGroup group, int fd) throws ClosedChannelException {
        group.ensureOpenForCalls();
        Carrier c = Carrier.current();
        if (c == null || c.group() != group || !Thread.currentThread().isVirtual()) {
            return new ForeignRequest(group.carrierFor(fd)).call();
        }
        c.enter();
        try {
            return c.callFor(IoCalls.acquire(c));
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
    public static IoCall tryBegin(CarrierGroup group) throws ClosedChannelException {
        group.ensureOpenForCalls();
        Carrier c = Carrier.current();
        c.enter();
        Descriptor d = null;
        try {
            c.checkAcceptingRequests();
            d = c.pool().tryAcquire();
            return d == null ? null : c.callFor(d);
        } finally {
            if (d == null) {
                c.exit();
            }
        }
    }

    /** Starts a new request on this call: {@code op} on {@code fd}, every other field cleared. */
    public IoCall op(byte op, int fd) {
        request.prepare(op, fd, null, 0, 0, 0);
        timeoutNanos = 0;
        return this;
    }

    public IoCall buffer(ByteBuffer buffer, int position, int length) {
        request.buffer(buffer, position, length);
        return this;
    }

    public IoCall offset(long offset) {
        request.offset(offset);
        return this;
    }

    /** SQE flags such as {@link IoRequest#FLAG_BUFFER_SELECT}. */
    public IoCall flags(int flags) {
        request.flags(flags);
        return this;
    }

    /** The op's own value; see {@link IoRequest#opFlags()}. */
    public IoCall opFlags(int opFlags) {
        request.opFlags(opFlags);
        return this;
    }

    public IoCall address(InetSocketAddress address) {
        request.address(address);
        return this;
    }

    /** A LINK_TIMEOUT of {@code nanos} after the request (0: none): not completed by then, it completes with -ECANCELED. */
    public IoCall timeout(long nanos) {
        this.timeoutNanos = nanos;
        return this;
    }

    /** The request under the call: what a completion reports besides its result (selected buffer, size). */
    public IoRequest request() {
        return request;
    }

    /** The carrier whose section the call is in; null off a fibril of the group (a foreign request). */
    public Carrier carrier() {
        return carrier;
    }

    /**
     * Submits the request as set up since {@link #op} and parks (or blocks) until its completion;
     * returns the CQE result. If {@code closing} reports the channel closed once the request is in
     * the ring, the request is cancelled: a concurrent close either finds it submitted or is seen
     * here. The buffer's memory session is held as {@link IoCalls#submitAndAwait} says.
     */
    public int submit(CloseSignal closing) throws ClosedChannelException {
        return IoCalls.submitAndAwait(carrier, request, timeoutNanos, closing);
    }

    /**
     * Between {@link #begin} and {@link #end}: lets the carrier run its other fibrils before this
     * one goes on (leaving the section for the yield), or yields the thread off a fibril.
     */
    public void yieldOutside() throws ClosedChannelException {
        if (carrier != null) {
            carrier.yieldOutside();
        } else {
            Thread.yield();
        }
    }

    /**
     * Gives the call back and leaves its section. A descriptor still SUBMITTED (its call threw
     * because the carrier failed) is left where it is: the kernel may still hold it.
     */
    public void end() {
        if (carrier != null) {
            IoCalls.end(carrier, (Descriptor) request);
        }
    }
}
