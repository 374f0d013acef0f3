package dev.fibril.jetty;

import dev.fibril.Fibril;
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
import java.util.concurrent.locks.LockSupport;

import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.FillInterest;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty {@link org.eclipse.jetty.io.EndPoint} over a {@link FibrilSocketChannel}.
 *
 * <p>Jetty's contract is non-blocking (fill returns 0 when nothing arrived, fill interest calls
 * back later); Fibril's channels park the calling fibril instead. The end point joins the two with
 * one fibril per connection, the <em>reader</em>: when Jetty asks for fill interest it reads
 * (parking until bytes arrive) into the connection's input buffer, then runs Jetty's callback —
 * inline when the callback does not block, else on the connection's <em>worker</em> fibril, so a
 * handler that blocks for more request content never stands in the reader's way. {@link #fill}
 * copies from the input buffer and never blocks.
 *
 * <p>{@link #flush} on a fibril writes until the kernel took every byte (the fibril parks, its
 * carrier does not); on any other thread it writes nothing and returns false, and a fibril
 * completes the write ({@link #onIncompleteFlush}). Small gathered writes (header + body) go out
 * as one send. A buffer from {@link #mapFile} goes out with {@link FibrilSocketChannel#sendFile}.
 */
public class FibrilEndPoint extends AbstractEndPoint {
    private static final Logger LOG = LoggerFactory.getLogger(FibrilEndPoint.class);
    private static final int IDLE = 0;
    private static final int READING = 1;
    private static final int FILLING = 2;
    /** Writes of several buffers totalling at most this many bytes are copied into one send. */
    private static final int GATHER_LIMIT = 8 * 1024;
    private static final long FLUSH_WAIT_NANOS = 10_000_000;

    private final FibrilConnector connector;
    private final FibrilSocketChannel channel;
    private final SocketAddress local;
    private final SocketAddress remote;
    private final RetainableByteBuffer input;
    private final AtomicInteger inputState = new AtomicInteger(IDLE);
    private final Runnable fillable = this::runFillable;
    private final FillWorker worker;
    private volatile boolean wanted;
    private volatile boolean eof;
    private volatile IOException readFailure;
    private volatile Thread reader;
    private volatile MappedFile mapped;
    /** Where gathered writes are copied; made on the first one, kept for the connection's life. */
    private ByteBuffer gather;
    /** The fibril inside {@link #flush}, parked until the kernel takes its bytes; null when none is. */
    private volatile Thread flushing;
    /** A thread in {@link #cancelWrite} waiting for {@link #flushing} to leave flush. */
    private volatile Thread flushWaiter;
    /** True while {@link #cancelWrite} runs: a flush that starts then fails rather than block. */
    private volatile boolean cancellingWrite;

    FibrilEndPoint(FibrilConnector connector, FibrilSocketChannel channel) throws IOException {
        super(connector.getScheduler());
        this.connector = connector;
        this.channel = channel;
        this.local = channel.localAddress();
        this.remote = channel.remoteAddress();
        this.worker = new FillWorker(connector.getRuntime(), this);
        this.input = connector.getByteBufferPool().acquire(connector.getInputBufferSize(), true);
        BufferUtil.clear(input.getByteBuffer());
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
            input.release();
            close(e);
        }
    }

    // ------------------------------------------------------------------ input

    /** Copies what the reader has received into {@code buffer}; never blocks. */
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
            ByteBuffer in = input.getByteBuffer();
            filled = in.hasRemaining() ? BufferUtil.append(buffer, in) : 0;
        } finally {
            inputState.set(IDLE);
        }
        if (filled > 0) {
            notIdle();
            return filled;
        }
        IOException failure = readFailure;
        if (failure != null) {
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
            // Take the input buffer for good before it goes back to the pool: a late fill() then reads nothing.
            while (!inputState.compareAndSet(IDLE, READING)) {
                Thread.onSpinWait();
            }
            input.release();
        }
    }

    /** Reads into the input buffer when it is empty, parking until bytes, end of stream or failure. */
    private void read() {
        while (!inputState.compareAndSet(IDLE, READING)) {
            Thread.onSpinWait(); // a fill() is copying out; it never blocks
        }
        ByteBuffer in = input.getByteBuffer();
        try {
            if (in.hasRemaining()) {
                return; // unread bytes first
            }
            in.clear();
            int n;
            try {
                n = channel.read(in);
            } finally {
                in.flip();
            }
            if (n < 0) {
                eof = true;
            } else if (n > 0) {
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

    private void runFillable() {
        getFillInterest().fillable();
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
     * On a fibril, writes every byte of {@code buffers} and returns true; elsewhere writes nothing
     * and returns false unless they are empty.
     */
    @Override
    public boolean flush(ByteBuffer... buffers) throws IOException {
        long total = 0;
        int nonEmpty = 0;
        for (ByteBuffer b : buffers) {
            if (b.hasRemaining()) {
                total += b.remaining();
                nonEmpty++;
            }
        }
        if (total == 0) {
            return true;
        }
        if (!Fibril.isFibril()) {
            return false;
        }
        flushing = Thread.currentThread();
        try {
            if (cancellingWrite) {
                throw new EofException("write cancelled"); // the canceller may not have seen this flush start
            }
            MappedFile file = mapped;
            if (nonEmpty > 1 && total <= GATHER_LIMIT && (file == null || !file.isIn(buffers))) {
                writeGathered(buffers);
            } else {
                for (ByteBuffer b : buffers) {
                    if (file != null && b == file.buffer()) {
                        connector.sentFile(file.sendTo(channel));
                    } else {
                        while (b.hasRemaining()) {
                            channel.write(b);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new EofException(e);
        } finally {
            flushing = null;
            Thread w = flushWaiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
        notIdle();
        return true;
    }

    /**
     * Jetty's {@code WriteFlusher.cancelWrite} spins until a flush in progress returns, trusting
     * flush not to block; ours parks until the peer reads, so that spin can last forever, and on a
     * fibril it holds its carrier and starves every fibril of that carrier (idle timeout or server
     * stop with a client that stopped reading froze the server). A cancelled write ends the response
     * and with it the connection, so close first: the blocked write fails at once. Wait for it to
     * leave flush by parking, not spinning; then Jetty's cancel finds nothing to spin for.
     */
    @Override
    public Callback cancelWrite(Throwable cause) {
        cancellingWrite = true; // before reading flushing: a flush starting now sees it and fails instead of blocking
        try {
            Thread f = flushing;
            if (f != null && f != Thread.currentThread()) {
                close(cause);
                flushWaiter = Thread.currentThread();
                try {
                    while (flushing == f) {
                        LockSupport.parkNanos(this, FLUSH_WAIT_NANOS); // bounded: another canceller may have replaced flushWaiter
                    }
                } finally {
                    flushWaiter = null;
                }
            }
            return super.cancelWrite(cause);
        } finally {
            cancellingWrite = false;
        }
    }

    private void writeGathered(ByteBuffer[] buffers) throws IOException {
        ByteBuffer out = gather;
        if (out == null) {
            out = gather = ByteBuffer.allocateDirect(GATHER_LIMIT);
        }
        out.clear();
        for (ByteBuffer b : buffers) {
            out.put(b);
        }
        out.flip();
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /** Called when {@link #flush} refused to write off a fibril: a fibril completes the write. */
    @Override
    protected void onIncompleteFlush() {
        dispatch(getWriteFlusher()::completeWrite);
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
