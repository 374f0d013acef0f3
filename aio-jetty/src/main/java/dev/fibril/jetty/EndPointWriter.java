/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import dev.fibril.aio.FibrilSocketChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * The output side of a {@link FibrilEndPoint}: its non-blocking flush (small gathered writes go
 * out as one send), and the connection's <em>writer</em> fibril, which parks until the socket is
 * writable, or sends a mapped file with {@link FibrilSocketChannel#sendFile} a chunk at a time,
 * then completes Jetty's pending write.
 */
final class EndPointWriter {
    /** Writes of several buffers totalling at most this many bytes are copied into one send. */
    private static final int GATHER_LIMIT = 8 * 1024;
    /** Bytes of a mapped file sent per sendFile: the idle timeout sees progress after each. */
    private static final long SEND_FILE_CHUNK = 64 * 1024;

    private final FibrilEndPoint endPoint;
    private final FibrilConnector connector;
    private final FibrilSocketChannel channel;
    private final Runnable completeWrite;
    /** The fibril that completes pending writes; started on the first one, ends with the connection. */
    private volatile Thread writer;
    /** A write is pending: set by {@link #onIncompleteFlush}, taken by the writer. */
    private volatile boolean writeWanted;
    /**
     * The mapped file the last flush stopped at, or null when it stopped at a full socket. Written
     * by flush, read by the writer after {@link #writeWanted}; Jetty's WriteFlusher orders the two.
     */
    private MappedFile stalledOn;

    EndPointWriter(FibrilEndPoint endPoint, FibrilConnector connector, FibrilSocketChannel channel) {
        this.endPoint = endPoint;
        this.connector = connector;
        this.channel = channel;
        this.completeWrite = () -> endPoint.getWriteFlusher().completeWrite();
    }

    /** {@link FibrilEndPoint#flush}, with {@code file} the end point's mapped file (null: none). */
    boolean flush(MappedFile file, ByteBuffer... buffers) throws IOException {
        stalledOn = null;
        try {
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
                    endPoint.notIdle();
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
        endPoint.notIdle();
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
    void onIncompleteFlush() {
        writeWanted = true; // after flush set stalledOn: the writer reads it after this flag
        Thread w = writer;
        if (w == null) {
            try {
                writer = connector.getRuntime().start(this::writeLoop);
            } catch (RejectedExecutionException e) {
                endPoint.getWriteFlusher().onFail(e);
                endPoint.close(e);
            }
        } else if (w != Thread.currentThread()) {
            LockSupport.unpark(w);
        }
        // on the writer itself (completeWrite flushed and found it incomplete): its loop sees the flag
    }

    private void writeLoop() {
        while (endPoint.isOpen()) {
            if (!writeWanted) {
                LockSupport.park(this);
                endPoint.endIfInterrupted();
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
                if (endPoint.isOpen()) { // else the close that ended the wait already failed Jetty's write
                    endPoint.getWriteFlusher().onFail(t);
                    endPoint.close(t);
                }
                return;
            }
            switch (endPoint.getWriteFlusher().getCallbackInvocationType()) {
                case NON_BLOCKING -> endPoint.getWriteFlusher().completeWrite();
                case EITHER -> Invocable.invokeNonBlocking(completeWrite);
                // a callback that blocks must not hold the writer: it may wait for a write of its own
                default -> endPoint.dispatch(completeWrite);
            }
        }
    }

    /**
     * Sends the rest of {@code file}'s buffer from the file, a chunk at a time, each chunk counting
     * as activity for the idle timeout; stops early if the write is no longer pending (failed or
     * cancelled meanwhile).
     */
    private void sendMapped(MappedFile file) throws IOException {
        while (file.buffer().hasRemaining() && endPoint.getWriteFlusher().isPending()) {
            connector.sentFile(file.sendTo(channel, SEND_FILE_CHUNK));
            endPoint.notIdle();
        }
    }

    /** The connection closed: the writer, if parked, wakes and ends (the channel's close cancelled its wait, if it was in one). */
    void onClose() {
        Thread w = writer;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }
}
