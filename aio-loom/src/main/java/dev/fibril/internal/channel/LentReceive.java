/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.ReceiveBuffers;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.IoCall;
import dev.fibril.internal.scheduler.RuntimeClosedException;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A socket channel's {@code receive()} and {@code release()}: one lent buffer at a time, from the
 * calling fibril's carrier ({@link ReceiveBuffers}). On io_uring with provided buffers the RECV
 * names no buffer (IOSQE_BUFFER_SELECT) and the kernel picks one when data arrives; elsewhere the
 * receive first waits for the socket to be readable (POLL_ADD, where the backend has it), then takes
 * a buffer and receives into it. Either way a connection waiting for bytes holds no buffer. When
 * every buffer is lent (io_uring: ENOBUFS) the receive parks until one comes back: back-pressure,
 * the bytes stay in the socket.
 *
 * <p>Threads: one receiver at a time (as for read); {@link #release} from any thread the receiver
 * handed the buffer to. The lent state is published through {@link #lentView} (volatile).
 */
final class LentReceive {
    private static final int NONE = -1;
    /** The lent buffer is the channel's own (a receive off a fibril). */
    private static final int OWN = -2;
    private static final int OWN_SIZE = 16 * 1024;
    /** {@link #takeArmed}: no armed result to return; go on with a plain receive. */
    static final ByteBuffer PLAIN = ByteBuffer.allocate(0);

    private final FdHandle handle;
    private int lentId = NONE;
    private Carrier lentFrom;
    private volatile ByteBuffer lentView;
    /** For receives off a fibril, which have no carrier to borrow from; made on the first. */
    private ByteBuffer own;
    /** The fibril parked for a buffer, which a close must wake; null when none. */
    private volatile Thread awaiting;
    /** The {@code receiveLater} of the channel; made on its first use. */
    private volatile ArmedReceive armed;
    /** An armed readiness wait said the socket is readable: the next receive need not wait again. */
    private boolean readable;
    /** The last receive got less than a buffer's worth: the socket was drained, so the next most likely waits (a hint). */
    private boolean drained;
    /**
     * The lent buffer is held by the channel itself: what a read took from a standing receive's
     * result and did not fit the caller's buffer. The next read or receive takes it first.
     */
    private boolean carried;
    /** Wakes a receive or read that waits for a standing receive's result; made on the first. */
    private ArmedReceive.Waiter waiter;

    LentReceive(FdHandle handle) {
        this.handle = handle;
    }

    /** The channel's receiveLater: arms a receive (see {@link ArmedReceive}). The receiver's thread. */
    void receiveLater(Runnable then) throws IOException {
        if (carried) {
            handle.group().start(then); // bytes a read left wait already: its receive takes them at once
            return;
        }
        ArmedReceive a = armed;
        if (a == null) {
            a = new ArmedReceive(handle);
            armed = a;
        }
        a.armThen(then, onFibril());
    }

    /**
     * What an armed receive got, if its result waits: the buffer the kernel filled (lent now), null
     * at end of stream, or {@link #PLAIN} when the caller should receive as usual (nothing armed,
     * a readiness wait that ended readable, or no buffer was free: ENOBUFS). The receiver's thread.
     *
     * @throws IllegalStateException if the armed receive is still in the ring
     */
    ByteBuffer takeArmed() throws IOException {
        if (carried) {
            carried = false;
            ByteBuffer v = lentView;
            if (v.position() > 0) {
                v.compact().flip(); // lent at position 0, as every lent buffer
            }
            return v;
        }
        ArmedReceive a = armed;
        if (a == null || !a.takeResult()) {
            return PLAIN;
        }
        int n = a.result();
        int id = a.bufferId();
        if (n == ArmedReceive.CARRIER_FAILED) {
            throw a.carrier().failedException();
        }
        if (id >= 0) {
            Carrier from = a.carrier();
            if (n > 0) {
                ByteBuffer view = from.receiveBuffersIfMade().view(id).limit(n);
                lentId = id;
                lentFrom = from;
                lentView = view;
                return view;
            }
            from.returnReceiveBuffer(id);
        }
        if (n == -Errno.ENOBUFS) {
            return PLAIN; // back-pressure: the plain receive waits for a buffer
        }
        if (n == -Errno.ECANCELED) {
            FdCalls.checkWaitEnded(handle); // the channel's close
        }
        FdCalls.check(n, a.wasRecv() ? "recv" : "poll");
        if (a.wasRecv()) {
            return null; // n == 0: end of stream
        }
        readable = true;
        return PLAIN;
    }

    /**
     * For a receive or read while a receive stands ({@link ArmedReceive#stands}): arms a task that
     * wakes this caller, with the standing receive cancelled, and waits for it (for at most the
     * cancel and the results before it: no peer is waited for), then returns what
     * {@link #takeArmed} does; {@link #PLAIN} at once when nothing stands. The wait is not
     * interruptible; an interrupt is kept for the receive that follows. The receiver's thread.
     */
    ByteBuffer takeStanding() throws IOException {
        ArmedReceive a = armed;
        if (a == null || !a.stands()) {
            return PLAIN;
        }
        ArmedReceive.Waiter w = waiter;
        if (w == null) {
            w = new ArmedReceive.Waiter();
            waiter = w;
        }
        w.reset(Thread.currentThread());
        a.armThen(w, onFibril(), true);
        boolean interrupted = false;
        while (!w.fired()) {
            java.util.concurrent.locks.LockSupport.park(w);
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return takeArmed();
    }

    /** Whether a receive stands, so receives and reads must go through it ({@link #takeStanding}). */
    boolean stands() {
        ArmedReceive a = armed;
        return a != null && a.stands();
    }

    /**
     * For read(): copies what the channel holds for it (bytes a read left, see {@link #carried})
     * into {@code dst}; -2 when it holds none. The receiver's thread.
     */
    int readCarried(ByteBuffer dst) {
        if (!carried) {
            return -2;
        }
        return copyOut(lentView, dst);
    }

    /**
     * For read(): copies from {@code got}, which a receive just lent, into {@code dst}, and keeps what
     * does not fit for the next read or receive; returns the count.
     */
    int readLent(ByteBuffer got, ByteBuffer dst) {
        carried = true;
        return copyOut(got, dst);
    }

    private int copyOut(ByteBuffer from, ByteBuffer dst) {
        int n = Math.min(from.remaining(), dst.remaining());
        int limit = from.limit();
        from.limit(from.position() + n);
        dst.put(from);
        from.limit(limit);
        if (!from.hasRemaining()) {
            carried = false;
            release(from);
        }
        return n;
    }

    /** The channel's last call ended after its close: bytes a read left go back with their buffer. */
    void onLastCall() {
        if (carried) {
            carried = false;
            release(lentView);
        }
    }

    /** Whether the caller is a fibril of this runtime, so it can borrow its carrier's buffers. */
    boolean onFibril() {
        Carrier c = Carrier.current();
        return c != null && c.group() == handle.group() && Thread.currentThread().isVirtual();
    }

    /**
     * For read(): no receiveLater may be armed or hold a result, as the read would race its RECV or
     * skip the bytes it took.
     */
    void checkNotArmed(String call) {
        ArmedReceive a = armed;
        if (a != null && a.engaged()) {
            throw new IllegalStateException(call + ": a receiveLater is armed or holds what it received; its task receives");
        }
    }

    void checkNothingLent(String call) {
        if (lentView != null && !carried) {
            throw new IllegalStateException(call + ": the buffer receive() lent before was not released");
        }
    }

    /** The channel's own buffer, cleared, for a receive off a fibril. */
    ByteBuffer ownBuffer() {
        readable = false; // this receive reads anyway; a later one on a fibril waits for readiness again
        if (own == null) {
            own = ByteBuffer.allocateDirect(OWN_SIZE);
        }
        return own.clear();
    }

    /** Marks the own buffer lent (after the caller read into it and flipped it). */
    ByteBuffer lendOwn(ByteBuffer filled) {
        lentId = OWN;
        lentFrom = null;
        lentView = filled;
        return filled;
    }

    /**
     * From a fibril: parks until bytes arrive and returns the buffer holding them (position 0,
     * limit the count), or null at end of stream.
     */
    ByteBuffer receive(long timeoutNanos, java.time.Duration timeout) throws IOException {
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        IoCall r = FdCalls.begin(handle, Op.RECV); // a section of its carrier: its buffers are ours to touch until end
        try {
            Carrier c = r.carrier(); // a fibril's call (see onFibril): its carrier, found once by begin
            ReceiveBuffers pool = c.receiveBuffers();
            while (true) {
                int id;
                int n;
                if (pool.kernelPicks()) {
                    r.op(Op.RECV, handle.fd()).buffer(null, 0, pool.size()).flags(IoRequest.FLAG_BUFFER_SELECT);
                    if (drained) {
                        r.opFlags(IoRequest.RECV_POLL_FIRST); // as read() does: the kernel arms readiness without a try first
                    }
                    n = FdCalls.submit(handle, r.timeout(timeoutNanos));
                    drained = n >= 0 && n < pool.size();
                    id = r.request().selectedBuffer();
                    if (id >= 0) {
                        pool.picked();
                    } else if (n == -Errno.ENOBUFS) {
                        timeoutNanos = awaitBuffer(c, pool, deadline, timeout);
                        continue;
                    }
                } else {
                    if (readable) {
                        readable = false; // an armed readiness wait ended readable: receive at once
                    } else if (handle.group().backend().supports(Op.POLL_ADD)) {
                        r.op(Op.POLL_ADD, handle.fd()).opFlags(IoRequest.POLLIN).timeout(timeoutNanos);
                        int ready = FdCalls.submit(handle, r);
                        timedOut(ready, timeoutNanos, timeout);
                        FdCalls.check(ready, "poll");
                        timeoutNanos = 0; // readable now
                    }
                    id = pool.take();
                    if (id < 0) {
                        timeoutNanos = awaitBuffer(c, pool, deadline, timeout);
                        continue;
                    }
                    r.op(Op.RECV, handle.fd()).buffer(pool.view(id), 0, pool.size()).timeout(timeoutNanos);
                    n = FdCalls.submit(handle, r);
                }
                if (n <= 0 && id >= 0) {
                    pool.give(id);
                }
                timedOut(n, timeoutNanos, timeout);
                FdCalls.check(n, "recv");
                if (n == 0) {
                    return null;
                }
                ByteBuffer view = pool.view(id).limit(n);
                lentId = id;
                lentFrom = c;
                lentView = view;
                return view;
            }
        } finally {
            r.end();
        }
    }

    private static void timedOut(int result, long timeoutNanos, java.time.Duration timeout) throws SocketTimeoutException {
        if (result == -Errno.ECANCELED && timeoutNanos > 0) {
            throw new SocketTimeoutException("receive timed out after " + timeout.toMillis() + " ms");
        }
    }

    /**
     * Inside the section: parks outside it until a buffer of {@code c} comes back, the channel is
     * closed or interrupted, or the receive's {@code deadline} (0: none) passes. Returns the time
     * left for the receive that follows (0 when it has no timeout).
     */
    private long awaitBuffer(Carrier c, ReceiveBuffers pool, long deadline, java.time.Duration timeout) throws IOException {
        pool.addWaiter();
        awaiting = Thread.currentThread();
        boolean retry = false;
        long left = 0;
        try {
            if (handle.isClosed()) {
                throw new java.nio.channels.AsynchronousCloseException(); // closed before awaiting was seen
            }
            if (deadline == 0) {
                c.parkOutside(pool);
            } else {
                c.parkOutsideNanos(pool, Math.max(1, deadline - System.nanoTime()));
            }
            FdCalls.checkWaitEnded(handle);
            if (deadline != 0) {
                left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException("receive timed out after " + timeout.toMillis()
                            + " ms waiting for a receive buffer");
                }
            }
            retry = true;
        } finally {
            awaiting = null;
            pool.removeWaiter(!retry);
        }
        return left;
    }

    /** The channel closed: wakes a receive parked for a buffer, which then throws; gives back what an armed receive left. */
    void onClose() {
        ArmedReceive a = armed;
        if (a != null) {
            a.onClose();
        }
        Thread t = awaiting;
        if (t != null) {
            java.util.concurrent.locks.LockSupport.unpark(t);
        }
    }

    /**
     * Gives back the buffer {@link #receive} lent: on its carrier at once when the caller is a
     * fibril of it, else through the carrier's return queue.
     *
     * @throws IllegalArgumentException if {@code buffer} is not the one lent (or was released already)
     */
    void release(ByteBuffer buffer) {
        Objects.requireNonNull(buffer, "buffer");
        if (buffer != lentView) {
            throw new IllegalArgumentException("release(): not the buffer this channel's receive() lent, or released already");
        }
        int id = lentId;
        Carrier from = lentFrom;
        lentId = NONE;
        lentFrom = null;
        lentView = null;
        if (id == OWN) {
            return;
        }
        if (Carrier.current() == from && Thread.currentThread().isVirtual()) {
            try {
                from.enter();
            } catch (RuntimeClosedException e) {
                from.returnReceiveBuffer(id);
                return;
            }
            try {
                from.receiveBuffers().give(id);
            } finally {
                from.exit();
            }
        } else {
            from.returnReceiveBuffer(id);
        }
    }
}
