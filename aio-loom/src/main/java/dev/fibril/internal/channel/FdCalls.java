/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.scheduler.IoCall;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;

/**
 * Requests on a channel's {@link FdHandle}, with java.nio's rules for interrupts and closes: a
 * call made or interrupted with the interrupt status set closes the channel and throws
 * {@link ClosedByInterruptException}; a call cancelled by a close throws
 * {@link AsynchronousCloseException}. The request itself is an {@link IoCall}, the pooled
 * flyweight, set up by the caller between {@link #begin} and {@link #run}:
 *
 * <pre>
 *   int n = FdCalls.run(fd, FdCalls.begin(fd, Op.RECV).buffer(dst, dst.position(), length).timeout(nanos));
 * </pre>
 *
 * Every method here runs between the handle's {@code begin} and {@code end}. Stateless.
 */
final class FdCalls {
    private FdCalls() {
    }

    /** A call of {@code op} on {@code fd}'s fd, for a blocking call (one the interrupt status stops). */
    static IoCall begin(FdHandle fd, byte op) throws IOException {
        return begin(fd, fd, op, true);
    }

    /**
     * A call of {@code op} on {@code target}'s fd, made for a call of channel {@code caller}: an
     * interrupt closes {@code caller}, the interrupted call's channel, as java.nio's does. A
     * non-blocking call ({@code blocking} false) ignores the interrupt status, as java.nio's
     * non-blocking write does.
     */
    static IoCall begin(FdHandle caller, FdHandle target, byte op, boolean blocking) throws IOException {
        if (blocking && Thread.currentThread().isInterrupted()) {
            // java.nio's rule: a call made with the interrupt status set closes the channel and
            // throws, on every backend alike (the status stays set)
            caller.close();
            throw new ClosedByInterruptException();
        }
        try {
            return IoCall.begin(target.group(), target.fd()).op(op, target.fd());
        } catch (ClosedByInterruptException e) {
            caller.close();
            throw e;
        }
    }

    /** Submits {@code call}, parks until its completion, and ends it: the CQE result, a cancellation as java.nio's exception. */
    static int run(FdHandle fd, IoCall call) throws IOException {
        try {
            return submit(fd, call);
        } finally {
            call.end();
        }
    }

    /** As {@link #run}, leaving the call open for a follow-up request (a loop of short writes). */
    static int submit(FdHandle fd, IoCall call) throws IOException {
        return checkCancelled(fd, call.submit(fd));
    }

    /**
     * The size of {@code file}'s file: a STATX on the ring from a fibril of the group, where the
     * backend's rings carry it; the backend's synchronous call elsewhere. For a call of channel
     * {@code caller} (itself, or sendFile's socket): an interrupt closes {@code caller}; a close of
     * {@code file} still ends the wait with {@link AsynchronousCloseException}. Returns
     * {@code -errno} on failure.
     */
    static long size(FdHandle caller, FdHandle file) throws IOException {
        if (!DescriptorCalls.onRing(file.group(), Op.STATX)) {
            return file.group().backend().size(file.fd());
        }
        IoCall call = begin(caller, file, Op.STATX, true);
        try {
            int result = checkCancelled(file, checkCancelled(caller, call.submit(file)));
            return result < 0 ? result : call.request().size(); // read before end() gives the request back
        } finally {
            call.end();
        }
    }

    /** Turns an interrupt or a close seen while the caller waited outside a request into java.nio's exception. */
    static void checkWaitEnded(FdHandle fd) throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            fd.close();
            throw new ClosedByInterruptException();
        }
        if (fd.isClosed()) {
            throw new AsynchronousCloseException();
        }
    }

    private static int checkCancelled(FdHandle fd, int result) throws IOException {
        if (result != -Errno.ECANCELED) {
            return result;
        }
        checkWaitEnded(fd);
        return result;
    }

    /** {@code result} as a count, or the errno as an exception naming {@code operation}. */
    static int check(int result, String operation) throws ErrnoException {
        if (result < 0) {
            throw new ErrnoException(operation, -result);
        }
        return result;
    }

    /** As {@link #check(int, String)}, naming the operation and its target; builds no string unless it fails. */
    static int check(int result, String operation, Object target) throws ErrnoException {
        if (result < 0) {
            throw new ErrnoException(operation + " " + target, -result);
        }
        return result;
    }
}
