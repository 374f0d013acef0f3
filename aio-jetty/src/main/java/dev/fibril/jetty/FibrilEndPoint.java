package dev.fibril.jetty;

import dev.fibril.aio.FibrilSocketChannel;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.FillInterest;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty {@link org.eclipse.jetty.io.EndPoint} over a {@link FibrilSocketChannel}.
 *
 * <p>Jetty's contract is non-blocking (fill returns 0 when nothing arrived, fill interest calls
 * back later); Fibril's channels park the calling fibril instead. The end point joins the two with
 * one fibril per connection, the <em>reader</em>: when Jetty asks for fill interest it receives
 * (parking until bytes arrive) into a buffer the runtime lends ({@link FibrilSocketChannel#receive}),
 * then runs Jetty's callback — inline when the callback does not block, else on the connection's
 * <em>worker</em> fibril, so a handler that blocks for more request content never stands in the
 * reader's way. {@link #fill} copies from the lent buffer, never blocks, and gives the buffer back
 * once it is empty. On io_uring the kernel picks that buffer only when bytes arrive, so an idle
 * keep-alive connection holds no input buffer at all.
 *
 * <p>{@link #flush} is non-blocking, as Jetty expects, from any thread (a fibril, a default
 * virtual thread when the runtime runs without its scheduler hook, a Jetty timer thread): it sends
 * what the kernel takes now and returns false when the socket's buffer is full. Jetty's
 * {@link org.eclipse.jetty.io.WriteFlusher} then calls {@link #onIncompleteFlush}, and the
 * connection's <em>writer</em> fibril parks until the socket is writable and completes the write,
 * so Jetty's own write, cancel and idle-timeout machinery works unchanged. Small gathered writes
 * (header + body) go out as one send. A buffer from {@link #mapFile} is sent from the file with
 * {@link FibrilSocketChannel#sendFile} by the writer, a chunk at a time.
 */
public class FibrilEndPoint extends AbstractEndPoint {
    private static final Logger LOG = LoggerFactory.getLogger(FibrilEndPoint.class);
    private static final int IDLE = 0;
    private static final int READING = 1;
    private static final int FILLING = 2;
    /** Writes of several buffers totalling at most this many bytes are copied into one send. */
    private static final int GATHER_LIMIT = 8 * 1024;
    /** Bytes of a mapped file sent per sendFile: the idle timeout sees progress after each. */
    private static final long SEND_FILE_CHUNK = 64 * 1024;

    private final FibrilConnector connector;
    private final FibrilSocketChannel channel;
    /** The same channel: its non-blocking send and writability wait are internal to the runtime. */
    private final SocketAddress local;
    private final SocketAddress remote;
    /** What the last receive lent, until fill() has copied it all out; null when nothing is lent. */
    private ByteBuffer lent;
    private final AtomicInteger inputState = new AtomicInteger(IDLE);
    private final Runnable fillable = this::runFillable;
    private final Runnable completeWrite = this::runCompleteWrite;
    private final FillWorker worker;
    private volatile boolean wanted;
    private volatile boolean eof;
    private volatile IOException readFailure;
    private volatile Thread reader;
    private volatile MappedFile mapped;
    /** The fibril that completes pending writes; started on the first one, ends with the connection. */
    private volatile Thread writer;
    /** A write is pending: set by {@link #onIncompleteFlush}, taken by the writer. */
    private volatile boolean writeWanted;
    /**
     * The mapped file the last flush stopped at, or null when it stopped at a full socket. Written
     * by flush, read by the writer after {@link #writeWanted}; Jetty's WriteFlusher orders the two.
     */
    private MappedFile stalledOn;

    FibrilEndPoint(FibrilConnector connector, FibrilSocketChannel channel) throws IOException {
        super(connector.getScheduler());
        this.connector = connector;
        this.channel = channel;
        this.local = channel.localAddress();
        this.remote = channel.remoteAddress();
        this.worker = new FillWorker(connector.getRuntime(), this);
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

    @Override
    public void onOpen() {
        super.onOpen();
        try {
            reader = connector.getRuntime().start(this::readLoop);
        } catch (RejectedExecutionException e) {
            close(e);
        }
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
        Thread r = reader;
        if (r != null && r != Thread.currentThread()) {
            LockSupport.unpark(r); // from its own callback the reader sees the flag when the callback returns
        }
    }

    private void readLoop() {
        try {
            while (isOpen()) {
                if (!wanted) {
                    LockSupport.park(this);
                    endIfInterrupted();
                    continue;
                }
                wanted = false;
                if (!eof && readFailure == null) {
                    read();
                }
                deliver();
            }
        } finally {
            reader = null;
            worker.stop();
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
    }

    /** Receives when nothing lent is left unread, parking until bytes, end of stream or failure. */
    private void read() {
        while (!inputState.compareAndSet(IDLE, READING)) {
            Thread.onSpinWait(); // a fill() is copying out; it never blocks
        }
        try {
            ByteBuffer in = lent;
            if (in != null) {
                if (in.hasRemaining()) {
                    return; // unread bytes first
                }
                lent = null;
                channel.release(in);
            }
            ByteBuffer got = channel.receive(); // holds no buffer while it waits (io_uring)
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

    /** Runs Jetty's fill callback: inline if it does not block, else on the worker fibril. */
    private void deliver() {
        FillInterest interest = getFillInterest();
        if (!interest.isInterested()) {
            return; // read ahead; fill() hands it over
        }
        switch (interest.getCallbackInvocationType()) {
            case NON_BLOCKING -> interest.fillable();
            case EITHER -> Invocable.invokeNonBlocking(fillable);
            default -> {
                if (!worker.offer(fillable)) {
                    dispatch(fillable);
                }
            }
        }
    }

    /**
     * Only the runtime's close interrupts the connection's fibrils: the connection ends. (Parking
     * again with the interrupt set would return at once, for ever, and never give the carrier back.)
     */
    private void endIfInterrupted() {
        if (Thread.interrupted()) {
            close(new ClosedByInterruptException());
        }
    }

    private void runFillable() {
        getFillInterest().fillable();
    }

    private void runCompleteWrite() {
        getWriteFlusher().completeWrite();
    }

    private void dispatch(Runnable task) {
        try {
            connector.getRuntime().start(task);
        } catch (RejectedExecutionException e) {
            close(e);
        }
    }

    // ----------------------------------------------------------------- output

    /**
     * Writes what the kernel takes now, from any thread, and never waits for the peer: returns
     * true once every byte of {@code buffers} is written, false when the socket's send buffer is
     * full or a mapped file comes next. Jetty's {@link org.eclipse.jetty.io.WriteFlusher} then
     * calls {@link #onIncompleteFlush} and the writer fibril completes the write.
     */
    @Override
    public boolean flush(ByteBuffer... buffers) throws IOException {
        stalledOn = null;
        try {
            MappedFile file = mapped;
            if (buffers.length > 1 && (file == null || !file.isIn(buffers))) {
                long total = 0;
                int nonEmpty = 0;
                for (ByteBuffer b : buffers) {
                    if (b.hasRemaining()) {
                        total += b.remaining();
                        nonEmpty++;
                    }
                }
                if (nonEmpty > 1 && total <= GATHER_LIMIT) {
                    return flushGathered(buffers, (int) total);
                }
            }
            for (ByteBuffer b : buffers) {
                if (!b.hasRemaining()) {
                    continue;
                }
                if (file != null && b == file.buffer()) {
                    stalledOn = file; // sent from the file by the writer fibril, which may park
                    return false;
                }
                while (b.hasRemaining()) {
                    if (channel.tryWrite(b) == 0) {
                        return false;
                    }
                    notIdle();
                }
            }
            return true;
        } catch (IOException e) {
            throw new EofException(e);
        }
    }

    /**
     * Copies {@code buffers} into one send; consumes from them only the bytes the kernel took. The
     * copy goes through a buffer of the connector's pool, held only for the send (tryWrite returns
     * once the kernel has taken the bytes), so an idle connection keeps no buffer of its own.
     */
    private boolean flushGathered(ByteBuffer[] buffers, int total) throws IOException {
        RetainableByteBuffer pooled = connector.getByteBufferPool().acquire(GATHER_LIMIT, true);
        try {
            return sendGathered(pooled.getByteBuffer(), buffers, total);
        } finally {
            pooled.release();
        }
    }

    private boolean sendGathered(ByteBuffer out, ByteBuffer[] buffers, int total) throws IOException {
        out.clear();
        for (ByteBuffer b : buffers) {
            int n = b.remaining();
            out.put(out.position(), b, b.position(), n); // absolute: b keeps its position until sent
            out.position(out.position() + n);
        }
        out.flip();
        int sent = channel.tryWrite(out);
        if (sent == 0) {
            return false;
        }
        notIdle();
        for (int i = 0, left = sent; left > 0; i++) {
            ByteBuffer b = buffers[i];
            int n = Math.min(left, b.remaining());
            b.position(b.position() + n);
            left -= n;
        }
        return sent == total;
    }

    /**
     * Jetty's write is pending (its WriteFlusher is PENDING and calls nothing until
     * {@code completeWrite}): the writer fibril waits until the socket can take more, or sends the
     * mapped file, then completes the write. Called by one thread at a time (the WriteFlusher
     * has one write in progress), hence the plain lazy start.
     */
    @Override
    protected void onIncompleteFlush() {
        writeWanted = true; // after flush set stalledOn: the writer reads it after this flag
        Thread w = writer;
        if (w == null) {
            try {
                writer = connector.getRuntime().start(this::writeLoop);
            } catch (RejectedExecutionException e) {
                getWriteFlusher().onFail(e);
                close(e);
            }
        } else if (w != Thread.currentThread()) {
            LockSupport.unpark(w);
        }
        // on the writer itself (completeWrite flushed and found it incomplete): its loop sees the flag
    }

    private void writeLoop() {
        while (isOpen()) {
            if (!writeWanted) {
                LockSupport.park(this);
                endIfInterrupted();
                continue;
            }
            writeWanted = false;
            MappedFile file = stalledOn;
            try {
                if (file != null) {
                    sendMapped(file);
                } else {
                    channel.awaitWritable();
                }
            } catch (IOException | RuntimeException t) {
                if (isOpen()) { // else the close that ended the wait already failed Jetty's write
                    getWriteFlusher().onFail(t);
                    close(t);
                }
                return;
            }
            switch (getWriteFlusher().getCallbackInvocationType()) {
                case NON_BLOCKING -> getWriteFlusher().completeWrite();
                case EITHER -> Invocable.invokeNonBlocking(completeWrite);
                // a callback that blocks must not hold the writer: it may wait for a write of its own
                default -> dispatch(completeWrite);
            }
        }
    }

    /**
     * Sends the rest of {@code file}'s buffer from the file, a chunk at a time, each chunk counting
     * as activity for the idle timeout; stops early if the write is no longer pending (failed or
     * cancelled meanwhile).
     */
    private void sendMapped(MappedFile file) throws IOException {
        while (file.buffer().hasRemaining() && getWriteFlusher().isPending()) {
            connector.sentFile(file.sendTo(channel, SEND_FILE_CHUNK));
            notIdle();
        }
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
        Thread r = reader;
        if (r != null) {
            LockSupport.unpark(r);
        }
        Thread w = writer;
        if (w != null) {
            LockSupport.unpark(w); // the channel's close cancelled its wait, if it was in one
        }
        worker.stop();
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
