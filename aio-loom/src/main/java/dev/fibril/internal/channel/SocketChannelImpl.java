package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.scheduler.CarrierGroup;
import dev.fibril.internal.scheduler.IoCalls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** {@link FibrilSocketChannel} over a backend stream socket: connect/recv/send/shutdown requests through the ring. */
public final class SocketChannelImpl implements FibrilSocketChannel {
    private static final int UNCONNECTED = 0;
    private static final int CONNECTING = 1;
    private static final int CONNECTED = 2;

    private final ChannelCore core;
    private final AtomicInteger connectState;
    private final LentReceive lent;
    private volatile Duration readTimeout = Duration.ZERO;
    private volatile boolean inputShut;
    private volatile boolean outputShut;

    public SocketChannelImpl(CarrierGroup group, int fd, boolean connected) throws ClosedChannelException {
        this.core = new ChannelCore(group, this, fd);
        this.connectState = new AtomicInteger(connected ? CONNECTED : UNCONNECTED);
        this.lent = new LentReceive(core);
    }

    @Override
    public ByteBuffer receive() throws IOException {
        core.begin();
        try {
            ensureConnected();
            lent.checkNothingLent();
            if (inputShut) {
                return null;
            }
            Duration timeout = readTimeout;
            long timeoutNanos = timeout.isZero() ? 0 : Math.max(1, saturatedNanos(timeout));
            if (!lent.onFibril()) {
                ByteBuffer own = lent.ownBuffer();
                int n = read(own);
                return n < 0 ? null : lent.lendOwn(own.flip());
            }
            return lent.receive(timeoutNanos, timeout);
        } finally {
            core.end();
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
        core.begin();
        try {
            if (!connectState.compareAndSet(UNCONNECTED, CONNECTING)) {
                if (connectState.get() == CONNECTED) {
                    throw new AlreadyConnectedException();
                }
                throw new ConnectionPendingException();
            }
            boolean ok = false;
            try {
                ChannelCore.check(core.call(Op.CONNECT, null, 0, 0, 0, 0, inet), "connect to", inet);
                ok = true;
            } finally {
                connectState.set(ok ? CONNECTED : UNCONNECTED);
            }
        } finally {
            core.end();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("read into a read-only buffer");
        }
        core.begin();
        try {
            ensureConnected();
            if (inputShut) {
                return -1;
            }
            int length = dst.remaining();
            if (length == 0) {
                return 0;
            }
            Duration timeout = readTimeout;
            long timeoutNanos = timeout.isZero() ? 0 : Math.max(1, saturatedNanos(timeout));
            if (!dst.isDirect() && core.group().backend().copiesHeapBuffers()) {
                // Wait for data holding no native copy of the heap buffer, then receive at once:
                // an idle connection read into a heap buffer costs no bounce buffer.
                int ready = core.call(Op.POLL_ADD, null, 0, 0, 0, IoRequest.POLLIN, null, timeoutNanos);
                if (ready == -dev.fibril.aio.Errno.ECANCELED && timeoutNanos > 0) {
                    throw new SocketTimeoutException("read timed out after " + timeout.toMillis() + " ms");
                }
                ChannelCore.check(ready, "poll");
                timeoutNanos = 0; // readable now; a receive that still waits lost a race with another reader
            }
            int n = core.call(Op.RECV, dst, dst.position(), length, 0, 0, null, timeoutNanos);
            if (n == -Errno.ECANCELED && timeoutNanos > 0) {
                throw new SocketTimeoutException("read timed out after " + timeout.toMillis() + " ms");
            }
            ChannelCore.check(n, "recv");
            if (n == 0) {
                return -1;
            }
            dst.position(dst.position() + n);
            return n;
        } finally {
            core.end();
        }
    }

    /**
     * Sends every remaining byte (continuing after short sends) before returning. A send that took
     * nothing does not go again at once: the call first parks until the socket is writable.
     */
    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        core.begin();
        try {
            ensureConnected();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            int total = 0;
            if (!src.hasRemaining()) {
                return 0;
            }
            IoRequest r = core.beginRequest();
            try {
                while (src.hasRemaining()) {
                    r.prepare(Op.SEND, core.fd(), src, src.position(), src.remaining(), 0);
                    int n = ChannelCore.check(core.submit(r), "send");
                    if (n == 0) {
                        awaitWritable(r); // a send that moved nothing would only come back with 0 again
                        continue;
                    }
                    src.position(src.position() + n);
                    total += n;
                }
            } finally {
                IoCalls.end(r);
            }
            return total;
        } finally {
            core.end();
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
        core.begin();
        try {
            ensureConnected();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            if (!src.hasRemaining()) {
                return 0;
            }
            int n = core.call(Op.SEND, src, src.position(), src.remaining(), 0, IoRequest.SEND_DONTWAIT, null);
            if (n == -Errno.EAGAIN) {
                return 0;
            }
            ChannelCore.check(n, "send");
            src.position(src.position() + n);
            return n;
        } finally {
            core.end();
        }
    }

    /**
     * Parks (or blocks, off a fibril) until the socket is writable: room in its send buffer, or an
     * error or hang-up that the next send reports. The Jetty end point waits here after a
     * {@link #tryWrite} that could not send everything.
     */
    @Override
    public void awaitWritable() throws IOException {
        core.begin();
        try {
            ensureConnected();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            if (!canAwaitWritable()) {
                throw new UnsupportedOperationException("the " + core.group().backend().name()
                        + " backend cannot wait for a socket to become writable (no POLL_ADD)");
            }
            ChannelCore.check(core.call(Op.POLL_ADD, null, 0, 0, 0, IoRequest.POLLOUT, null), "poll");
        } finally {
            core.end();
        }
    }

    @Override
    public boolean canAwaitWritable() {
        return core.group().backend().supports(Op.POLL_ADD);
    }

    /** Parks on {@code r} (its descriptor reused: no second one held) until writable, where the backend can. */
    private void awaitWritable(IoRequest r) throws IOException {
        if (!canAwaitWritable()) {
            IoCalls.yieldOutside(r); // no readiness wait here: let the carrier run others before the next try
            return;
        }
        r.prepare(Op.POLL_ADD, core.fd(), null, 0, 0, 0);
        r.opFlags(IoRequest.POLLOUT);
        ChannelCore.check(core.submit(r), "poll");
    }

    @Override
    public long sendFile(dev.fibril.aio.FibrilFileChannel file, long position, long count) throws IOException {
        Objects.requireNonNull(file, "file");
        if (position < 0) {
            throw new IllegalArgumentException("negative file position: " + position);
        }
        if (count < 0) {
            throw new IllegalArgumentException("negative count: " + count);
        }
        if (!(file instanceof FileChannelImpl f) || f.core().group() != core.group()) {
            throw new IllegalArgumentException("not a file channel of this runtime: " + file);
        }
        if (!f.readable()) {
            throw new java.nio.channels.NonReadableChannelException();
        }
        core.begin();
        try {
            ensureConnected();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            f.core().begin();
            try {
                return SendFile.transfer(f, this, position, count);
            } finally {
                f.core().end();
            }
        } finally {
            core.end();
        }
    }

    @Override
    public FibrilSocketChannel readTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative read timeout: " + timeout);
        }
        // Refused here rather than failing every read with EINVAL: the timeout is a LINK_TIMEOUT.
        if (!timeout.isZero() && !core.group().backend().supports(Op.LINK_TIMEOUT)) {
            throw new UnsupportedOperationException("readTimeout needs the " + Op.name(Op.LINK_TIMEOUT)
                    + " operation, which the " + core.group().backend().name() + " backend does not support");
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
        outputShut = true;
    }

    private void shutdown(int how) throws IOException {
        core.begin();
        try {
            ensureConnected();
            ChannelCore.check(core.call(Op.SHUTDOWN, null, 0, 0, 0, how, null), "shutdown");
        } finally {
            core.end();
        }
    }

    @Override
    public boolean isConnected() {
        return connectState.get() == CONNECTED;
    }

    @Override
    public <T> FibrilSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        ChannelOptions.set(core, ChannelOptions.SOCKET, name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return ChannelOptions.get(core, ChannelOptions.SOCKET, name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return ChannelOptions.SOCKET;
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        ensureOpen();
        return core.group().backend().localAddress(core.fd());
    }

    @Override
    public InetSocketAddress remoteAddress() throws IOException {
        ensureOpen();
        return isConnected() ? core.group().backend().remoteAddress(core.fd()) : null;
    }

    ChannelCore core() {
        return core;
    }

    @Override
    public boolean isOpen() {
        return !core.isClosed();
    }

    @Override
    public void close() {
        core.close();
        lent.onClose();
    }

    @Override
    public String toString() {
        return "FibrilSocketChannel[fd " + core.fd() + (isConnected() ? ", connected" : "")
                + (isOpen() ? "" : ", closed") + "]";
    }

    private void ensureConnected() {
        if (connectState.get() != CONNECTED) {
            throw new NotYetConnectedException();
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (core.isClosed()) {
            throw new ClosedChannelException();
        }
    }
}
