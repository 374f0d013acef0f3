/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import dev.fibril.aio.FibrilSocketChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;

import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.RetainableByteBuffer;

/**
 * The output side of a {@link FibrilEndPoint}: its non-blocking flush, and, while a write is
 * pending, a task on a spare fibril that parks until the
 * socket is writable, or sends a mapped file with {@link FibrilSocketChannel#sendFile} a chunk at a
 * time, then completes Jetty's pending write. No fibril is kept per connection for output.
 *
 * <p>A flush from a fibril of up to {@link FibrilSocketChannel#sendLaterLimit()} bytes (a response's
 * header and body, gathered) goes out with {@link FibrilSocketChannel#sendLater}: copied once into
 * the runtime's buffer, and the flush returns without parking for the send. Otherwise (more bytes,
 * another thread, a send still in flight) it sends what the kernel takes now with
 * {@link FibrilSocketChannel#tryWrite}; several small buffers are copied into one first.
 */
final class EndPointWriter {
    /** Writes of several buffers totalling at most this many bytes are copied into one send. */
    private static final int GATHER_LIMIT = 8 * 1024;
    /** Bytes of a mapped file sent per sendFile: the idle timeout sees progress after each. */
    private static final long SEND_FILE_CHUNK = 64 * 1024;

    private final FibrilEndPoint endPoint;
    private final FibrilConnector connector;
    private final FibrilSocketChannel channel;
    private final Runnable completePending = this::completePending;
    /**
     * The mapped file the last flush stopped at, or null when it stopped at a full socket. Written
     * by flush, read by the task that {@link #onIncompleteFlush} dispatches.
     */
    private MappedFile stalledOn;

    EndPointWriter(FibrilEndPoint endPoint, FibrilConnector connector, FibrilSocketChannel channel) {
        this.endPoint = endPoint;
        this.connector = connector;
        this.channel = channel;
    }

    /** {@link FibrilEndPoint#flush}, with {@code file} the end point's mapped file (null: none). */
    boolean flush(MappedFile file, ByteBuffer... buffers) throws IOException {
        stalledOn = null;
        try {
            if (file == null || !file.isIn(buffers)) {
                long total = 0;
                int nonEmpty = 0;
                for (ByteBuffer b : buffers) {
                    if (b.hasRemaining()) {
                        total += b.remaining();
                        nonEmpty++;
                    }
                }
                if (total > 0 && total <= channel.sendLaterLimit() && channel.sendLater(buffers) > 0) {
                    endPoint.notIdle(); // copied and submitted: the send completes in the ring, nobody parks for it
                    return true;
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
                    stalledOn = file; // sent from the file by the pending write's task, which may park
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
     * {@code completeWrite}): a task on a spare fibril waits until the socket can take more, or
     * sends the mapped file, then completes the write. One write is pending at a time (the
     * WriteFlusher's rule), so at most one such task runs; none waits while nothing is pending.
     */
    void onIncompleteFlush() {
        try {
            connector.getRuntime().dispatch(completePending); // after flush set stalledOn: the task reads it
        } catch (RejectedExecutionException e) {
            endPoint.getWriteFlusher().onFail(e);
            endPoint.close(e);
        }
    }

    private void completePending() {
        if (!endPoint.isOpen()) {
            return; // the close failed Jetty's pending write
        }
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
        // On a spare of its own, so a callback that blocks (even for a write of its own, whose
        // incomplete flush gets another task) holds nothing the connection needs.
        endPoint.getWriteFlusher().completeWrite();
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
}
