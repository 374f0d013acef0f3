/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.scheduler.CarrierGroup;
import dev.fibril.internal.scheduler.IoCall;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link FibrilSocketChannel} over a backend stream socket: connect/recv/send/shutdown requests through the ring.
 *
 * <p>As java.nio's: one output call at a time ({@link #outputLock}: a write or a sendFile that
 * takes several sends is whole on the wire, whoever else writes); a connection reset is reported
 * by every read after the first that saw it; the peer's address outlives the connection; a
 * shutdown of a connection that has ended is no error.
 */
public final class SocketChannelImpl extends AbstractChannel implements FibrilSocketChannel {
    private static final int UNCONNECTED = 0;
    private static final int CONNECTING = 1;
    private static final int CONNECTED = 2;

    private final AtomicInteger connectState;
    private final LentReceive lent;
    private volatile Duration readTimeout = Duration.ZERO;
    private volatile boolean inputShut;
    /** The last read got less than it asked for: the socket was drained, so the next one will most likely wait (a hint: racing readers only cost a try or a poll). */
    private boolean drained;
    private volatile boolean outputShut;
    /** Made by the first {@link #sendLater}; null until then, so a channel that never calls it pays nothing. */
    private volatile LaterSend laterSend;
    /**
     * Held by an output call while it sends: write and sendFile wait for it (interruptibly),
     * tryWrite takes nothing while another holds it. sendLater does not take it: its send, once
     * in flight, makes the others wait ({@link #awaitLaterSend}), and it looks at the lock only
     * after it has marked the send in flight ({@link #outputBusy}).
     */
    private final ReentrantLock outputLock = new ReentrantLock();
    /** A read saw ECONNRESET: every later read throws it too, as java.nio's do. */
    private volatile boolean inputReset;
    /** The peer's address, kept from the connect or the accept: getpeername(2) fails once the connection ended. */
    private volatile InetSocketAddress remote;

    public SocketChannelImpl(CarrierGroup group, int fd, boolean connected) throws ClosedChannelException {
        super(group, fd, "FibrilSocketChannel", ChannelOptions.SOCKET);
        this.connectState = new AtomicInteger(connected ? CONNECTED : UNCONNECTED);
        this.lent = new LentReceive(handle);
    }

    /**
     * For an accepted channel, at once: keeps the peer's address while the connection surely has
     * one (later, getpeername(2) fails once it has ended). Within a call of the channel, so that a
     * close meanwhile cannot hand the fd number to another file first.
     */
    void rememberPeer() {
        try {
            handle.begin();
        } catch (IOException closed) {
            return; // the runtime's close came first: there is nobody to ask about
        }
        try {
            remote = group().backend().remoteAddress(handle.fd());
        } finally {
            handle.end();
        }
    }

    @Override
    public ByteBuffer receive() throws IOException {
        handle.begin();
        try {
            ensureConnected();
            lent.checkNothingLent("receive()");
            checkReset();
            ByteBuffer armed = lent.takeArmed();
            if (armed == LentReceive.PLAIN && lent.stands()) {
                armed = lent.takeStanding(); // results a standing receive got come first, in order
            }
            if (inputShut) {
                if (armed != null && armed != LentReceive.PLAIN) {
                    lent.release(armed);
                }
                return null;
            }
            if (armed != LentReceive.PLAIN) {
                return armed;
            }
            Duration timeout = readTimeout;
            long timeoutNanos = timeout.isZero() ? 0 : Math.max(1, saturatedNanos(timeout));
            if (!lent.onFibril()) {
                ByteBuffer own = lent.ownBuffer();
                int n = read(own);
                return n < 0 ? null : lent.lendOwn(own.flip());
            }
            return lent.receive(timeoutNanos, timeout);
        } catch (ErrnoException e) {
            throw keepReset(e);
        } finally {
            handle.end();
        }
    }

    /** Every read after one that saw a reset throws it again (java.nio's {@code connectionReset}). */
    private void checkReset() throws ErrnoException {
        if (inputReset) {
            throw new ErrnoException("recv", Errno.ECONNRESET);
        }
    }

    private ErrnoException keepReset(ErrnoException e) {
        if (e.errno() == Errno.ECONNRESET) {
            inputReset = true;
        }
        return e;
    }

    @Override
    public void receiveLater(Runnable then) throws IOException {
        handle.begin();
        try {
            ensureConnected();
            lent.checkNothingLent("receiveLater()");
            lent.receiveLater(then);
        } finally {
            handle.end();
        }
    }

    @Override
    public void release(ByteBuffer buffer) {
        lent.release(buffer);
    }

    @Override
    public void connect(SocketAddress remote) throws IOException {
        Objects.requireNonNull(remote, "remote");
        if (!(remote instanceof InetSocketAddress inet)) {
            throw new UnsupportedAddressTypeException();
        }
        if (inet.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address: " + inet);
        }
        handle.begin();
        try {
            if (!connectState.compareAndSet(UNCONNECTED, CONNECTING)) {
                if (connectState.get() == CONNECTED) {
                    throw new AlreadyConnectedException();
                }
                throw new ConnectionPendingException();
            }
            boolean ok = false;
            try {
                FdCalls.check(FdCalls.run(handle, FdCalls.begin(handle, Op.CONNECT).address(inet)), "connect to", inet);
                this.remote = inet;
                ok = true;
            } finally {
                connectState.set(ok ? CONNECTED : UNCONNECTED);
            }
        } finally {
            handle.end();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("read into a read-only buffer");
        }
        handle.begin();
        try {
            ensureConnected();
            checkReset();
            lent.checkNotArmed("read()");
            if (inputShut) {
                return -1;
            }
            int length = dst.remaining();
            if (length == 0) {
                return 0;
            }
            int held = lent.readCarried(dst);
            if (held >= 0) {
                return held;
            }
            if (lent.stands()) {
                lent.checkNothingLent("read()"); // it comes in a lent buffer, and one is lent at a time
                ByteBuffer got = lent.takeStanding(); // what a standing receive got comes first, in order
                if (got == null) {
                    return -1;
                }
                if (got != LentReceive.PLAIN) {
                    return lent.readLent(got, dst);
                }
            }
            Duration timeout = readTimeout;
            long timeoutNanos = timeout.isZero() ? 0 : Math.max(1, saturatedNanos(timeout));
            if (!dst.isDirect() && group().backend().copiesHeapBuffers()) {
                // Wait for data holding no native copy of the heap buffer, then receive at once:
                // an idle connection read into a heap buffer costs no bounce buffer.
                int ready = FdCalls.run(handle, FdCalls.begin(handle, Op.POLL_ADD).opFlags(IoRequest.POLLIN).timeout(timeoutNanos));
                timedOut(ready, timeoutNanos, timeout);
                FdCalls.check(ready, "poll");
                timeoutNanos = 0; // readable now; a receive that still waits lost a race with another reader
            }
            IoCall recv = FdCalls.begin(handle, Op.RECV).buffer(dst, dst.position(), length).timeout(timeoutNanos);
            if (drained) {
                recv.opFlags(IoRequest.RECV_POLL_FIRST);
            }
            int n = FdCalls.run(handle, recv);
            timedOut(n, timeoutNanos, timeout);
            FdCalls.check(n, "recv");
            drained = n < length;
            if (n == 0) {
                return -1;
            }
            dst.position(dst.position() + n);
            return n;
        } catch (ErrnoException e) {
            throw keepReset(e);
        } finally {
            handle.end();
        }
    }

    /** A read's request that ended by its LINK_TIMEOUT, as java.net's exception. */
    static void timedOut(int result, long timeoutNanos, Duration timeout) throws SocketTimeoutException {
        if (result == -Errno.ECANCELED && timeoutNanos > 0) {
            throw new SocketTimeoutException("read timed out after " + timeout.toMillis() + " ms");
        }
    }

    /**
     * Sends every remaining byte (continuing after short sends) before returning. A send that took
     * nothing does not go again at once: the call first parks until the socket is writable.
     */
    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        handle.begin();
        try {
            ensureConnected();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            if (!src.hasRemaining()) {
                awaitLaterSend(); // what a failed one reported
                return 0;
            }
            lockOutput();
            int total = 0;
            IoCall r = null;
            try {
                checkOutputOpen(); // shut while this call waited for its turn
                awaitLaterSend();
                r = FdCalls.begin(handle, Op.SEND);
                while (src.hasRemaining()) {
                    r.op(Op.SEND, handle.fd()).buffer(src, src.position(), src.remaining());
                    int n = FdCalls.check(FdCalls.submit(handle, r), "send");
                    if (n == 0) {
                        awaitWritable(r); // a send that moved nothing would only come back with 0 again
                        continue;
                    }
                    src.position(src.position() + n);
                    total += n;
                }
            } finally {
                if (r != null) {
                    r.end();
                }
                outputLock.unlock();
            }
            return total;
        } finally {
            handle.end();
        }
    }

    /**
     * Copies every remaining byte of {@code srcs} into a buffer of the carrier's and submits their
     * send without waiting for it (see {@link LaterSend}); 0, taking nothing, when the bytes are
     * more than {@link #sendLaterLimit()}, a send of this channel is still in flight or another
     * output call is sending, the carrier's send buffers are all held, or the caller is no fibril
     * of this runtime.
     */
    @Override
    public int sendLater(ByteBuffer... srcs) throws IOException {
        Objects.requireNonNull(srcs, "srcs");
        long total = 0;
        for (ByteBuffer b : srcs) {
            total += Objects.requireNonNull(b, "a buffer of srcs").remaining();
        }
        return sendLater(null, srcs, total);
    }

    @Override
    public int sendLater(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        return sendLater(src, null, src.remaining());
    }

    /** Of {@code one}, or else of {@code many}: {@code total} bytes. */
    private int sendLater(ByteBuffer one, ByteBuffer[] many, long total) throws IOException {
        handle.begin();
        try {
            ensureConnected();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            LaterSend later = laterSend;
            if (later != null) {
                later.takeFailure(); // never waits: with a send in flight, send() takes nothing
            }
            if (total == 0 || total > sendLaterLimit()) {
                return 0;
            }
            return (later != null ? later : makeLaterSend()).send(one, many, (int) total);
        } finally {
            handle.end();
        }
    }

    @Override
    public int sendLaterLimit() {
        return dev.fibril.internal.io.SendBuffers.SIZE;
    }

    private LaterSend makeLaterSend() {
        synchronized (handle) {
            LaterSend later = laterSend;
            if (later == null) {
                later = new LaterSend(handle, this);
                laterSend = later;
            }
            return later;
        }
    }

    /**
     * Whether a write, sendFile or tryWrite holds {@link #outputLock}: for {@link LaterSend}, which
     * looks after it has marked its send in flight. The holder marked the lock before it looked at
     * that mark, so one of the two sees the other: the holder waits for the send, or the send
     * takes nothing.
     */
    boolean outputBusy() {
        return outputLock.isLocked();
    }

    /**
     * Takes {@link #outputLock}, parking while another output call holds it; an interrupt while it
     * waits closes the channel, as java.nio's does.
     */
    private void lockOutput() throws IOException {
        try {
            outputLock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            FdCalls.checkWaitEnded(handle);
            throw new ClosedByInterruptException();
        }
    }

    /** After the wait for {@link #outputLock}: java.nio's answer to a write after shutdownOutput. */
    private void checkOutputOpen() throws ClosedChannelException {
        if (outputShut) {
            throw new ClosedChannelException();
        }
    }

    /** Every output call first: waits for a {@link #sendLater} in flight, and throws what a failed one reported. */
    private void awaitLaterSend() throws IOException {
        LaterSend later = laterSend;
        if (later != null) {
            later.awaitIdle();
        }
    }

    /**
     * Sends what the kernel takes at once of {@code src}'s remaining bytes, never waiting for room
     * in the socket's send buffer; returns how many it took, 0 when the buffer is full. Works from
     * any thread: a fibril of this runtime parks for the one request's completion (a moment, as it
     * does not wait for the peer), any other thread blocks for its round trip through the carrier.
     * The Jetty end point's non-blocking flush.
     */
    @Override
    public int tryWrite(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        handle.begin();
        try {
            ensureConnected();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            if (!outputLock.tryLock()) {
                return 0; // a write or sendFile sending: awaitWritable waits for it
            }
            try {
                LaterSend later = laterSend;
                if (later != null) {
                    later.takeFailure();
                    if (later.inFlight()) {
                        return 0; // it never waits: its bytes would go after the send in flight (awaitWritable waits for it)
                    }
                }
                if (!src.hasRemaining()) {
                    return 0;
                }
                // non-blocking: it ignores the interrupt status, as java.nio's non-blocking write does
                IoCall call = FdCalls.begin(handle, handle, Op.SEND, false)
                        .buffer(src, src.position(), src.remaining()).opFlags(IoRequest.SEND_DONTWAIT);
                int n = FdCalls.run(handle, call);
                if (n == -Errno.EAGAIN) {
                    return 0;
                }
                FdCalls.check(n, "send");
                src.position(src.position() + n);
                return n;
            } finally {
                outputLock.unlock();
            }
        } finally {
            handle.end();
        }
    }

    /**
     * Parks (or blocks, off a fibril) until the socket is writable: room in its send buffer, or an
     * error or hang-up that the next send reports. The Jetty end point waits here after a
     * {@link #tryWrite} that could not send everything.
     */
    @Override
    public void awaitWritable() throws IOException {
        handle.begin();
        try {
            ensureConnected();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            awaitLaterSend();
            if (outputLock.isLocked() && !outputLock.isHeldByCurrentThread()) {
                lockOutput(); // a write or sendFile sending: writable for this caller once it is done
                outputLock.unlock();
            }
            if (!canAwaitWritable()) {
                throw new UnsupportedOperationException("the " + group().backend().name()
                        + " backend cannot wait for a socket to become writable (no POLL_ADD)");
            }
            FdCalls.check(FdCalls.run(handle, FdCalls.begin(handle, Op.POLL_ADD).opFlags(IoRequest.POLLOUT)), "poll");
        } finally {
            handle.end();
        }
    }

    @Override
    public boolean canAwaitWritable() {
        return group().backend().supports(Op.POLL_ADD);
    }

    /** Parks on {@code r} (its descriptor reused: no second one held) until writable, where the backend can. */
    private void awaitWritable(IoCall r) throws IOException {
        if (!canAwaitWritable()) {
            r.yieldOutside(); // no readiness wait here: let the carrier run others before the next try
            return;
        }
        r.op(Op.POLL_ADD, handle.fd()).opFlags(IoRequest.POLLOUT);
        FdCalls.check(FdCalls.submit(handle, r), "poll");
    }

    @Override
    public long sendFile(dev.fibril.aio.FibrilFileChannel file, long position, long count) throws IOException {
        FileChannelImpl f = SendFile.checkArguments(this, file, position, count);
        handle.begin();
        try {
            ensureConnected();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            lockOutput();
            try {
                checkOutputOpen();
                awaitLaterSend();
                f.handle.begin();
                try {
                    return SendFile.transfer(f, this, position, count);
                } finally {
                    f.handle.end();
                }
            } finally {
                outputLock.unlock();
            }
        } finally {
            handle.end();
        }
    }

    @Override
    public FibrilSocketChannel readTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative read timeout: " + timeout);
        }
        // Refused here rather than failing every read with EINVAL: the timeout is a LINK_TIMEOUT.
        if (!timeout.isZero() && !group().backend().supports(Op.LINK_TIMEOUT)) {
            throw new UnsupportedOperationException("readTimeout needs the " + Op.name(Op.LINK_TIMEOUT)
                    + " operation, which the " + group().backend().name() + " backend does not support");
        }
        this.readTimeout = timeout;
        return this;
    }

    @Override
    public Duration readTimeout() {
        return readTimeout;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public void shutdownInput() throws IOException {
        shutdown(IoRequest.SHUT_RD);
        inputShut = true;
    }

    @Override
    public void shutdownOutput() throws IOException {
        shutdown(IoRequest.SHUT_WR);
    }

    private void shutdown(int how) throws IOException {
        handle.begin();
        try {
            ensureConnected();
            if (how == IoRequest.SHUT_WR) {
                outputShut = true; // before the FIN: a writer that it wakes, or whose turn comes after it, finds the output shut
            }
            LaterSend later = laterSend;
            if (how == IoRequest.SHUT_WR && later != null && later.shutdownAfterSend()) {
                return; // the FIN follows the bytes given to sendLater, once they are sent
            }
            shutdownNow(how, true);
        } finally {
            handle.end();
        }
    }

    /**
     * The SHUTDOWN request itself, between the handle's begin and end; {@code blocking} false for
     * the FIN a send deferred, which an interrupt status left by its caller must not stop.
     */
    void shutdownNow(int how, boolean blocking) throws IOException {
        int r = FdCalls.run(handle, FdCalls.begin(handle, handle, Op.SHUTDOWN, blocking).opFlags(how));
        if (r != -Errno.ENOTCONN) { // the connection has ended (a reset, both FINs): nothing to shut, as java.nio has it
            FdCalls.check(r, "shutdown");
        }
    }

    @Override
    public boolean isConnected() {
        return connectState.get() == CONNECTED;
    }

    @Override
    public <T> FibrilSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        setOptionValue(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return optionValue(name);
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return backendLocalAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() throws IOException {
        handle.ensureOpen();
        if (!isConnected()) {
            return null;
        }
        InetSocketAddress r = remote;
        if (r == null) {
            r = group().backend().remoteAddress(handle.fd());
            remote = r;
        }
        return r;
    }

    @Override
    void onLastCall() {
        lent.onLastCall();
    }

    @Override
    void onClosed() {
        lent.onClose();
        LaterSend later = laterSend;
        if (later != null) {
            later.onClose();
        }
    }

    @Override
    void describe(StringBuilder out) {
        out.append(isConnected() ? ", connected" : "");
    }

    private void ensureConnected() {
        if (connectState.get() != CONNECTED) {
            throw new NotYetConnectedException();
        }
    }
}
