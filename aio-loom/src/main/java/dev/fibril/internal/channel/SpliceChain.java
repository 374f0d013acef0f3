/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.SplicePipe;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.RuntimeClosedException;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.util.concurrent.locks.LockSupport;

/**
 * One sendFile as a state machine that the carrier drives from completions, the analogue of the
 * kevent {@code aio_sendfile} state machine: for each chunk, SPLICE file -> pipe (the head), then
 * SPLICE pipe -> socket until every byte the head moved has left the pipe; the calling fibril parks
 * once for the whole transfer and is woken when it ends.
 *
 * <p>Why the carrier submits the second splice itself instead of linking it to the head in the
 * kernel (IOSQE_IO_LINK): a linked request that the kernel has not issued yet cannot be cancelled
 * (ASYNC_CANCEL finds nothing), and a head reading a cold file sits in a wait that a cancel does
 * not interrupt. A close or interrupt that landed meanwhile would then be missed, and the send the
 * kernel issues after the head would block for as long as the peer does not read. Here the
 * request in flight is always the one the chain's descriptor names, so a cancel always reaches
 * it; and when the head completes with a cancel pending, no send follows. A short head or send
 * needs no special path either: the next splice moves exactly what is left in the pipe.
 *
 * <p>Threads: the carrier thread only (the fibril that runs {@link #transfer} and the completions
 * run there), so the fields need no ordering. One chain per {@link SplicePipe}, made once and kept
 * as its attachment: a sendFile allocates nothing.
 *
 * <pre>
 *  HEAD -> SEND     the head moved n > 0 bytes into the pipe, no cancel pending: send them
 *  SEND -> SEND     a short send: the rest of the pipe goes next
 *  SEND -> HEAD     the pipe is empty and the range is not done: next chunk
 *  any  -> ENDED    end of range or of file, an error, or a cancel pending; the fibril is unparked
 * </pre>
 * The descriptor is SUBMITTED in HEAD and SEND and never in ENDED, so a chain that ended can give
 * its descriptor back at once.
 */
final class SpliceChain implements CompletionListener {
    /** A pipe holds 64 KiB by default: a head never waits for room in it. */
    static final int CHUNK = 64 * 1024;

    private static final int HEAD = 0;
    private static final int SEND = 1;
    private static final int ENDED = 2;

    private final Carrier carrier;
    private final SplicePipe pipe;
    private Descriptor d;
    private FdHandle file;
    private FdHandle socket;
    private Thread fibril;
    private long position;
    private long end;
    private long sent;
    /** Bytes the heads moved into the pipe that no send has moved out yet. */
    private int inPipe;
    private int phase = ENDED;
    /** The last splice's failure (-errno), or 0. */
    private int error;
    /** Whether the splice that ended the chain was a head (for the message of its failure). */
    private boolean endedInHead;
    private boolean firstHead;
    private boolean cancelPending;

    private SpliceChain(Carrier carrier, SplicePipe pipe) {
        this.carrier = carrier;
        this.pipe = pipe;
    }

    /** The chain that uses {@code pipe}, made on the pipe's first use. */
    static SpliceChain on(Carrier carrier, SplicePipe pipe) {
        if (pipe.attachment() instanceof SpliceChain chain) {
            return chain;
        }
        SpliceChain chain = new SpliceChain(carrier, pipe);
        pipe.attach(chain);
        return chain;
    }

    /**
     * Sends {@code [position, end)} of {@code file} to {@code socket} through the pipe with the
     * TAKEN descriptor {@code d}, parking the calling fibril until done. Returns the bytes sent
     * (fewer at the end of the file), or -1 if the kernel refused to splice this pair before any
     * byte moved (the caller then reads and sends). On return {@code d} is not in flight.
     *
     * @throws ClosedByInterruptException if interrupted (the caller closes the socket)
     * @throws AsynchronousCloseException if the socket or the file was closed meanwhile
     */
    long transfer(Descriptor d, FdHandle file, FdHandle socket, long position, long end) throws IOException {
        this.d = d;
        this.file = file;
        this.socket = socket;
        this.position = position;
        this.end = end;
        this.fibril = Thread.currentThread();
        sent = 0;
        inPipe = 0;
        error = 0;
        firstHead = true;
        cancelPending = false;
        d.notifies(this);
        d.channel(socket); // a close of either channel cancels whichever splice is in flight
        d.alsoChannel(file);
        startHead();
        boolean interrupted = false;
        while (phase != ENDED) {
            if (carrier.failure() != null) {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                fibril = null;
                cancelPending = true; // the pipe may hold bytes: it is closed, not reused
                throw carrier.failedException();
            }
            if (Thread.interrupted()) {
                interrupted = true;
                cancelPending = true;
                carrier.io().cancel(d);
                continue;
            }
            carrier.parkOutside(this); // inside the sendFile call's section
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        fibril = null;
        return outcome(interrupted);
    }

    /** Whether every byte that went into the pipe came out: only then may another chain use it. */
    boolean pipeEmpty() {
        return inPipe == 0 && !cancelPending && !d.isCancelRequested();
    }

    private long outcome(boolean interrupted) throws IOException {
        boolean done = position + sent == end || error == 0;
        if (done && !cancelPending) {
            return sent; // every byte, or the file ended early
        }
        if (interrupted) {
            throw new ClosedByInterruptException();
        }
        if (socket.isClosed() || file.isClosed()) {
            throw new AsynchronousCloseException();
        }
        if (carrier.isStopping()) {
            throw new RuntimeClosedException("the runtime is closing: sendFile cancelled after " + sent + " bytes");
        }
        if (firstHead && sent == 0 && inPipe == 0 && (error == -Errno.EINVAL || error == -Errno.EOPNOTSUPP)) {
            return -1; // the kernel cannot splice this pair
        }
        throw new ErrnoException("sendFile: splice " + (endedInHead ? "from file" : "to socket"), -error);
    }

    /** Called by the carrier when the chain's splice completed. */
    @Override
    public void onCompletion(Descriptor descriptor) {
        int res = descriptor.result();
        if (res < 0) {
            end(res);
            return;
        }
        if (phase == HEAD) {
            if (res == 0) {
                end(0); // the file is shorter than it was: it ended early
                return;
            }
            firstHead = false;
            inPipe = res;
        } else {
            if (res == 0) {
                end(-Errno.EPIPE); // nothing left to move though the pipe holds bytes: never expected
                return;
            }
            inPipe -= res;
            sent += res;
        }
        if (stopRequested()) {
            end(-Errno.ECANCELED); // a cancel that missed the splice (it completed anyway): go no further
        } else if (inPipe > 0) {
            startSend();
        } else if (position + sent < end) {
            startHead();
        } else {
            end(0);
        }
    }

    /** A cancel was asked for: by an interrupt, a close (either channel), or the runtime stopping. */
    private boolean stopRequested() {
        return cancelPending || d.isCancelRequested() || socket.isClosed() || file.isClosed() || carrier.isStopping();
    }

    private void startHead() {
        int len = (int) Math.min(CHUNK, end - position - sent);
        prepare(Op.SPLICE, file.fd(), len, position + sent, pipe.writeFd());
        phase = HEAD;
        submit();
    }

    private void startSend() {
        prepare(Op.SPLICE, pipe.readFd(), inPipe, -1, socket.fd());
        phase = SEND;
        submit();
    }

    private void prepare(byte op, int fdIn, int len, long offset, int fdOut) {
        d.retake(); // DONE after the previous splice, TAKEN before the first
        d.prepare(op, fdIn, null, 0, len, offset);
        d.opFlags(fdOut);
    }

    private void submit() {
        carrier.io().submit(d);
        if (socket.isClosed() || file.isClosed()) {
            // a close that came before this submission found nothing to cancel; it is seen here
            carrier.io().cancel(d);
        }
    }

    private void end(int result) {
        error = result;
        endedInHead = phase == HEAD;
        phase = ENDED;
        Thread waiter = fibril;
        if (waiter != null && waiter != Thread.currentThread()) {
            LockSupport.unpark(waiter);
        }
    }

    @Override
    public void onCarrierFailed(Descriptor descriptor) {
        Thread waiter = fibril;
        if (waiter != null) {
            LockSupport.unpark(waiter);
        }
    }
}
