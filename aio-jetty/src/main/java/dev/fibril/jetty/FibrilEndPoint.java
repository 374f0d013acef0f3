/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import dev.fibril.aio.FibrilSocketChannel;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.eclipse.jetty.io.AbstractEndPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty {@link org.eclipse.jetty.io.EndPoint} over a {@link FibrilSocketChannel}.
 *
 * <p>Jetty's contract is non-blocking (fill returns 0 when nothing arrived, fill interest calls
 * back later); Fibril's channels park the calling fibril instead. The end point joins the two with
 * a <em>reader</em> task per connection: when Jetty asks for fill interest it arms a receive
 * ({@link FibrilSocketChannel#receiveLater}) and returns, and when bytes arrive the runtime runs the
 * reader on one of its spare fibrils, which takes the buffer the runtime lent and runs Jetty's
 * callback — inline when the callback does not block, else on another spare fibril
 * ({@link dev.fibril.FibrilRuntime#dispatch}), so a handler that blocks for more request content
 * never stands in the reader's way.
 * {@link #fill} copies from the lent buffer, never blocks, and gives the buffer back once it is
 * empty. On io_uring the kernel picks that buffer only when bytes arrive, so an idle keep-alive
 * connection holds neither an input buffer nor a fibril.
 *
 * <p>{@link #flush} is non-blocking, as Jetty expects, from any thread (a fibril, a default
 * virtual thread when the runtime runs without its scheduler hook, a Jetty timer thread): from a
 * fibril a small write (up to {@link FibrilSocketChannel#sendLaterLimit()}) is copied and sent with
 * {@link FibrilSocketChannel#sendLater}, which parks nobody; otherwise it sends what the kernel
 * takes now and returns false when the socket's buffer is full. Jetty's
 * {@link org.eclipse.jetty.io.WriteFlusher} then calls {@link #onIncompleteFlush}, and a task on
 * a spare fibril parks until the socket is writable and completes the write, so Jetty's own write,
 * cancel and idle-timeout machinery works unchanged. Small gathered writes (header + body) go out
 * as one send. A buffer from {@link #mapFile} is sent from the file with
 * {@link FibrilSocketChannel#sendFile} by that task, a chunk at a time.
 */
public class FibrilEndPoint extends AbstractEndPoint {
    private static final Logger LOG = LoggerFactory.getLogger(FibrilEndPoint.class);
    private final FibrilConnector connector;
    private final FibrilSocketChannel channel;
    private final SocketAddress local;
    private final SocketAddress remote;
    private volatile MappedFile mapped;
    private final EndPointReader input;
    private final EndPointWriter output;

    FibrilEndPoint(FibrilConnector connector, FibrilSocketChannel channel) throws IOException {
        super(connector.getScheduler());
        this.connector = connector;
        this.channel = channel;
        this.local = channel.localAddress();
        this.remote = channel.remoteAddress();
        this.input = new EndPointReader(this, connector, channel);
        this.output = new EndPointWriter(this, connector, channel);
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return local;
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return remote;
    }

    /** The {@link FibrilSocketChannel}. */
    @Override
    public Object getTransport() {
        return channel;
    }

    // ------------------------------------------------------------------ input

    /** Copies what the reader has received into {@code buffer}, and gives the lent buffer back once empty; never blocks (see {@link EndPointReader}). */
    @Override
    public int fill(ByteBuffer buffer) throws IOException {
        if (isInputShutdown()) {
            return -1;
        }
        return input.fill(buffer);
    }

    @Override
    protected void needsFillInterest() throws IOException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        input.fillInterested();
    }

    /** The reader found the end of the input (end of stream or a failed read). */
    void endOfInput() {
        shutdownInput();
    }

    // ----------------------------------------------------------------- output

    /**
     * Writes what the kernel takes now, from any thread, and never waits for the peer: returns
     * true once every byte of {@code buffers} is written, false when the socket's send buffer is
     * full or a mapped file comes next. Jetty's {@link org.eclipse.jetty.io.WriteFlusher} then
     * calls {@link #onIncompleteFlush} and a task on a spare fibril completes the write.
     */
    @Override
    public boolean flush(ByteBuffer... buffers) throws IOException {
        return output.flush(mapped, buffers);
    }

    /** Jetty's write is pending: a task on a spare fibril completes it (see {@link EndPointWriter}). */
    @Override
    protected void onIncompleteFlush() {
        output.onIncompleteFlush();
    }

    /**
     * Maps {@code length} bytes of {@code path} from {@code position} into a read-only buffer to
     * write through this end point (for example as a response body). Written here, the buffer's
     * bytes go out with {@link FibrilSocketChannel#sendFile} from the file, not from memory; written
     * anywhere else (a transformed or HTTP/2-framed body), they are ordinary bytes of the file.
     * Close the returned handle once the write completed or failed.
     *
     * @throws IllegalStateException if another mapped file of this end point is still open
     * @throws IllegalArgumentException if the range is negative or beyond 2 GiB
     */
    public MappedFile mapFile(Path path, long position, long length) throws IOException {
        if (position < 0 || length < 0 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad range of " + path + ": position " + position + ", length " + length);
        }
        MappedFile current = mapped;
        if (current != null) {
            throw new IllegalStateException("a mapped file of " + this + " is still being written: " + current.path());
        }
        ByteBuffer buffer;
        try (FileChannel fc = FileChannel.open(path, StandardOpenOption.READ)) {
            buffer = fc.map(FileChannel.MapMode.READ_ONLY, position, length);
        }
        MappedFile file = new MappedFile(this, path, connector.getRuntime().openFile(path), position, buffer);
        mapped = file;
        return file;
    }

    /** {@code file} was closed: the end point no longer sends it from the file. */
    void unmapped(MappedFile file) {
        if (mapped == file) {
            mapped = null;
        }
    }

    // ------------------------------------------------------------- lifecycle

    @Override
    protected void doShutdownOutput() {
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            LOG.debug("shutdownOutput failed on {}", this, e);
        }
    }

    @Override
    protected void doClose() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("close failed on {}", this, e);
        }
        input.closed();
    }

    @Override
    public void onClose(Throwable cause) {
        try {
            super.onClose(cause);
        } finally {
            connector.endPointClosed(this, cause);
        }
    }

    @Override
    public String toEndPointString() {
        return super.toEndPointString() + (input.atEof() ? "{fibril,eof}" : "{fibril}");
    }
}
