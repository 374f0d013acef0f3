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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.FillInterest;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.thread.Invocable;
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
 * virtual thread when the runtime runs without its scheduler hook, a Jetty timer thread): it sends
 * what the kernel takes now and returns false when the socket's buffer is full. Jetty's
 * {@link org.eclipse.jetty.io.WriteFlusher} then calls {@link #onIncompleteFlush}, and a task on
 * a spare fibril parks until the socket is writable and completes the write, so Jetty's own write,
 * cancel and idle-timeout machinery works unchanged. Small gathered writes (header + body) go out
 * as one send. A buffer from {@link #mapFile} is sent from the file with
 * {@link FibrilSocketChannel#sendFile} by that task, a chunk at a time.
 */
public class FibrilEndPoint extends AbstractEndPoint {
    private static final Logger LOG = LoggerFactory.getLogger(FibrilEndPoint.class);
    private static final int IDLE = 0;
    private static final int READING = 1;
    private static final int FILLING = 2;
    /** No reader runs and no receive is armed: the next fill interest starts one. */
    private static final int STOPPED = 0;
    /** A reader runs on some fibril. */
    private static final int RUNNING = 1;
    /** A receive is armed ({@link FibrilSocketChannel#receiveLater}): its completion runs the reader. */
    private static final int ARMED = 2;
    /** The connection closed and the input was ended. */
    private static final int ENDED = 3;

    private final FibrilConnector connector;
    private final FibrilSocketChannel channel;
    /** The same channel: its non-blocking send and writability wait are internal to the runtime. */
    private final SocketAddress local;
    private final SocketAddress remote;
    /** What the last receive lent, until fill() has copied it all out; null when nothing is lent. */
    private ByteBuffer lent;
    private final AtomicInteger inputState = new AtomicInteger(IDLE);
    private final Runnable fillable = this::runFillable;
    private final AtomicInteger readerState = new AtomicInteger(STOPPED);
    private final Runnable readLoop = () -> guarded(false);
    private final Runnable received = () -> guarded(true);
    private volatile boolean wanted;
    /** The first reader was started (on a fibril the runtime placed); written and read by whoever holds RUNNING. */
    private boolean placed;
    private volatile boolean eof;
    private volatile IOException readFailure;
    private volatile MappedFile mapped;
    private final EndPointWriter output;

    FibrilEndPoint(FibrilConnector connector, FibrilSocketChannel channel) throws IOException {
        super(connector.getScheduler());
        this.connector = connector;
        this.channel = channel;
        this.local = channel.localAddress();
        this.remote = channel.remoteAddress();
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

    /** Copies what the reader has received into {@code buffer}, and gives the lent buffer back once empty; never blocks. */
    @Override
    public int fill(ByteBuffer buffer) throws IOException {
        if (isInputShutdown()) {
            return -1;
        }
        if (!inputState.compareAndSet(IDLE, FILLING)) {
            return 0; // a read is in the kernel: the reader calls back when it ends
        }
        int filled;
        try {
            ByteBuffer in = lent;
            filled = in != null && in.hasRemaining() ? BufferUtil.append(buffer, in) : 0;
            if (in != null && !in.hasRemaining()) {
                lent = null;
                channel.release(in); // all copied out: the buffer goes back before the request is handled
            }
        } finally {
            inputState.set(IDLE);
        }
        if (filled > 0) {
            notIdle();
            return filled;
        }
        IOException failure = readFailure;
        if (failure != null) {
            // A reset connection has no input left either: with the input shut, Jetty's answer to the
            // failure (shutting the output) closes the end point, instead of waiting for a FIN that
            // never comes until the idle timeout.
            shutdownInput();
            throw new EofException(failure);
        }
        if (eof) {
            shutdownInput();
            return -1;
        }
        return 0;
    }

    @Override
    protected void needsFillInterest() throws IOException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        wanted = true;
        if (readerState.compareAndSet(STOPPED, RUNNING)) {
            startReader(); // else the running reader sees the flag, or the armed receive's task does
        }
    }

    /**
     * Starts the reader: the connection's first on a new fibril, which the runtime places on its
     * least busy carrier (the receives the reader arms, and the spares that serve their bytes, then
     * stay on that carrier); later ones on a spare of the calling fibril's carrier. (Dispatching the
     * first too would put every connection on the acceptor's carrier.)
     */
    private void startReader() {
        try {
            if (placed) {
                connector.getRuntime().dispatch(readLoop);
            } else {
                placed = true; // the reader's CAS to RUNNING orders this for the next start
                connector.getRuntime().start(readLoop);
            }
        } catch (RejectedExecutionException e) {
            readerState.set(STOPPED);
            close(e);
        }
    }

    /**
     * The reader, while it holds {@link #RUNNING}: serves fill interest until none is left, or arms
     * a receive for the next bytes and returns (the fibril is free; the receive's completion runs
     * {@link #received} on a spare fibril of the runtime).
     */
    private void readLoop() {
        while (true) {
            if (!isOpen()) {
                endInput();
                return;
            }
            if (!wanted) {
                readerState.set(STOPPED);
                // an interest or a close between the look and the set found RUNNING and left it to us
                if ((wanted || !isOpen()) && readerState.compareAndSet(STOPPED, RUNNING)) {
                    continue;
                }
                return;
            }
            wanted = false;
            if (!eof && readFailure == null && releaseIfRead()) {
                readerState.set(ARMED);
                try {
                    channel.receiveLater(received); // its task may run at once, on another fibril
                    return;
                } catch (IOException | RuntimeException e) {
                    readerState.set(RUNNING); // nothing armed: no task comes
                    if (isOpen()) {
                        readFailure = e instanceof IOException io ? io : new IOException(e);
                    }
                }
            }
            deliver();
        }
    }

    /**
     * The reader's task: after an armed receive completed ({@code received}: take what it got and
     * run Jetty's callback first), serve on. Whatever it throws ends the connection and its input,
     * so no state is left RUNNING with nobody running.
     */
    private void guarded(boolean received) {
        try {
            if (received) {
                readerState.set(RUNNING); // from ARMED: only this task moves it
                read();
                deliver();
            }
            readLoop();
        } catch (Throwable t) {
            close(t);
            endInput();
            throw t;
        }
    }

    /**
     * False while bytes lent before are unread (fill() hands them over first); else gives the lent
     * buffer back, if any, and returns true: the next bytes must be received.
     */
    private boolean releaseIfRead() {
        while (!inputState.compareAndSet(IDLE, READING)) {
            Thread.onSpinWait(); // a fill() is copying out; it never blocks
        }
        try {
            ByteBuffer in = lent;
            if (in != null) {
                if (in.hasRemaining()) {
                    return false;
                }
                lent = null;
                channel.release(in);
            }
            return true;
        } finally {
            inputState.set(IDLE);
        }
    }

    /** Takes what the armed receive got: bytes, end of stream or failure. */
    private void read() {
        while (!inputState.compareAndSet(IDLE, READING)) {
            Thread.onSpinWait();
        }
        try {
            ByteBuffer got = channel.receive(); // at once: the armed receive completed
            if (got == null) {
                eof = true;
            } else {
                lent = got;
                notIdle();
            }
        } catch (IOException e) {
            if (isOpen()) {
                readFailure = e;
            }
        } finally {
            inputState.set(IDLE);
        }
    }

    /** The input ends with the connection: the lent buffer goes back. Once, by the reader or the close. */
    private void endInput() {
        if (readerState.getAndSet(ENDED) == ENDED) {
            return; // the input was ended already (it holds the input state for good)
        }
        // Take the input for good before the lent buffer goes back: a late fill() then reads nothing.
        while (!inputState.compareAndSet(IDLE, READING)) {
            Thread.onSpinWait();
        }
        ByteBuffer in = lent;
        if (in != null) {
            lent = null;
            channel.release(in);
        }
    }

    /** Runs Jetty's fill callback: inline if it does not block, else on a spare fibril of the runtime. */
    private void deliver() {
        FillInterest interest = getFillInterest();
        if (!interest.isInterested()) {
            return; // read ahead; fill() hands it over
        }
        switch (interest.getCallbackInvocationType()) {
            case NON_BLOCKING -> interest.fillable();
            case EITHER -> Invocable.invokeNonBlocking(fillable);
            default -> dispatch(fillable); // a handler that blocks for more content never holds the reader
        }
    }

    private void runFillable() {
        getFillInterest().fillable();
    }

    /** Runs {@code task} on a spare fibril of the runtime; a runtime that refuses it closes the connection. */
    private void dispatch(Runnable task) {
        try {
            connector.getRuntime().dispatch(task);
        } catch (RejectedExecutionException e) {
            close(e);
        }
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
        if (readerState.compareAndSet(STOPPED, RUNNING)) {
            endInput(); // no reader runs nor waits: the close ends the input itself
        } // a running reader ends it at its next look; an armed receive is cancelled, and its task does
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
        return super.toEndPointString() + (eof ? "{fibril,eof}" : "{fibril}");
    }
}
