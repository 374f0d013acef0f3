/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import dev.fibril.aio.FibrilSocketChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.FillInterest;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * The input side of a {@link FibrilEndPoint}: a <em>reader</em> task per connection, which is no
 * fibril of its own. When Jetty asks for fill interest it arms a receive
 * ({@link FibrilSocketChannel#receiveLater}) and returns; when bytes arrive the runtime runs the
 * reader on one of its spare fibrils, which takes the buffer the runtime lent and runs Jetty's
 * callback, inline when the callback does not block, else on another spare fibril. {@link #fill}
 * copies from the lent buffer, never blocks, and gives the buffer back once it is empty.
 *
 * <p>Two small state machines: {@code readerState} says who serves the input (STOPPED, RUNNING,
 * ARMED, ENDED; only its holder moves it on), and {@code inputState} keeps {@code fill()} and the
 * reader off the lent buffer at the same time (IDLE, READING, FILLING; held for an instant, so a
 * waiter spins).
 */
final class EndPointReader {
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

    private final FibrilEndPoint endPoint;
    private final FibrilConnector connector;
    private final FibrilSocketChannel channel;
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

    EndPointReader(FibrilEndPoint endPoint, FibrilConnector connector, FibrilSocketChannel channel) {
        this.endPoint = endPoint;
        this.connector = connector;
        this.channel = channel;
    }

    /** {@link FibrilEndPoint#fill} once the input is not shut: copies what the reader received. */
    int fill(ByteBuffer buffer) throws IOException {
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
            endPoint.notIdle();
            return filled;
        }
        IOException failure = readFailure;
        if (failure != null) {
            // A reset connection has no input left either: with the input shut, Jetty's answer to the
            // failure (shutting the output) closes the end point, instead of waiting for a FIN that
            // never comes until the idle timeout.
            endPoint.endOfInput();
            throw new EofException(failure);
        }
        if (eof) {
            endPoint.endOfInput();
            return -1;
        }
        return 0;
    }

    /** Jetty wants to be called back when bytes come: a reader runs, or is armed, to serve it. */
    void fillInterested() {
        wanted = true;
        if (readerState.compareAndSet(STOPPED, RUNNING)) {
            startReader(); // else the running reader sees the flag, or the armed receive's task does
        }
    }

    /** The end point closed: if no reader runs nor waits, the close ends the input itself. */
    void closed() {
        if (readerState.compareAndSet(STOPPED, RUNNING)) {
            endInput();
        } // a running reader ends it at its next look; an armed receive is cancelled, and its task does
    }

    /** Whether the peer ended its output. */
    boolean atEof() {
        return eof;
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
            endPoint.close(e);
        }
    }

    /**
     * The reader, while it holds {@link #RUNNING}: serves fill interest until none is left, or arms
     * a receive for the next bytes and returns (the fibril is free; the receive's completion runs
     * {@link #received} on a spare fibril of the runtime).
     */
    private void readLoop() {
        while (true) {
            if (!endPoint.isOpen()) {
                endInput();
                return;
            }
            if (!wanted) {
                readerState.set(STOPPED);
                // an interest or a close between the look and the set found RUNNING and left it to us
                if ((wanted || !endPoint.isOpen()) && readerState.compareAndSet(STOPPED, RUNNING)) {
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
                    if (endPoint.isOpen()) {
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
            endPoint.close(t);
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
                endPoint.notIdle();
            }
        } catch (IOException e) {
            if (endPoint.isOpen()) {
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
        FillInterest interest = endPoint.getFillInterest();
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
        endPoint.getFillInterest().fillable();
    }

    /** Runs {@code task} on a spare fibril of the runtime; a runtime that refuses it closes the connection. */
    private void dispatch(Runnable task) {
        try {
            connector.getRuntime().dispatch(task);
        } catch (RejectedExecutionException e) {
            endPoint.close(e);
        }
    }
}
