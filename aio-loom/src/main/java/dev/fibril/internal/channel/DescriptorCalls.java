/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.CarrierGroup;
import dev.fibril.internal.scheduler.CloseSignal;
import dev.fibril.internal.scheduler.IoCall;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;

/**
 * The calls that make and end a descriptor, open, socket and close, on one path: a fibril of the
 * group, on its carrier and outside any section, submits them to its carrier's ring (OPENAT,
 * SOCKET, CLOSE) and parks, so a slow file system parks the fibril, not the carrier's thread. Any
 * other caller (a platform thread, the runtime's construction and close, a fibril inside a section
 * of its carrier) and a backend whose rings lack the op make the backend's synchronous call. The
 * file calls fstat and ftruncate take the same path through {@link FdCalls#size} and
 * {@link FdCalls#run}, with {@link #onRing} deciding.
 *
 * <p>Interrupts. On a fibril, an open or socket whose caller is interrupted before or while it
 * runs throws {@link ClosedByInterruptException}, as java.nio's channel calls do, and leaves nothing
 * open: an fd the kernel made anyway (an OPENAT a cancel did not stop) is closed first. A close is
 * never interrupted nor cancelled (see {@link dev.fibril.internal.scheduler.IoDriver#cancel}): it
 * always runs to its end, and its result is final, as close(2)'s is on Linux (EINTR included).
 * Nor does it wait for a descriptor: with the carrier's pool at its bound it is the synchronous call.
 */
public final class DescriptorCalls {
    /** {@code AT_FDCWD}: OPENAT resolves a relative path against the working directory. */
    private static final int AT_FDCWD = -100;
    /** A CLOSE belongs to no channel, so no channel's close (which cancels its calls) reaches it. */
    private static final CloseSignal NOT_A_CHANNEL = () -> false;

    private DescriptorCalls() {
    }

    /**
     * Whether the current thread makes {@code op} as a ring request: a fibril of {@code group} on
     * its carrier, outside a section (a nested ring call could not park), where the backend's
     * rings carry {@code op}.
     */
    static boolean onRing(CarrierGroup group, byte op) {
        Carrier c = Carrier.current();
        return isFibrilOf(c, group) && !c.heldByCurrentThread() && group.backend().supports(op);
    }

    private static boolean isFibrilOf(Carrier c, CarrierGroup group) {
        return c != null && c.group() == group && Thread.currentThread().isVirtual();
    }

    /**
     * Opens {@code path}; returns the fd.
     *
     * @throws ErrnoException             naming the path, for ENOENT, EACCES, EEXIST and other kernel errors
     * @throws ClosedByInterruptException on a fibril interrupted before or during the open
     * @throws ClosedChannelException     if the runtime closed meanwhile
     */
    public static int open(CarrierGroup group, String path, int flags, int mode) throws IOException {
        if (!onRing(group, Op.OPENAT)) {
            return made(group, group.backend().open(path, flags, mode), "open", path);
        }
        checkNotInterrupted();
        // The bytes stay reachable from the request until its completion; io_uring copies them
        // (with the NUL the kernel wants) into native memory its in-flight slot holds till then.
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        int fd = submit(group, Op.OPENAT, AT_FDCWD, ByteBuffer.wrap(name), name.length, mode, flags);
        return made(group, fd, "open", path);
    }

    /** A new stream socket; returns the fd. Throws as {@link #open}. */
    public static int socket(CarrierGroup group) throws IOException {
        if (!onRing(group, Op.SOCKET)) {
            return made(group, group.backend().socket(), "socket", null);
        }
        checkNotInterrupted();
        return made(group, submit(group, Op.SOCKET, -1, null, 0, 0, 0), "socket", null);
    }

    /**
     * Closes {@code fd}, ignoring what close(2) reports (the fd is released either way). On a
     * fibril it clears its interrupt status for the call and restores it after. Never throws.
     */
    public static void close(CarrierGroup group, int fd) {
        if (onRing(group, Op.CLOSE)) {
            boolean interrupted = Thread.interrupted();
            try {
                IoCall call;
                try {
                    // never waits for a descriptor: they may all be held by requests that end only
                    // once something is closed; at the bound the synchronous close goes instead
                    call = IoCall.tryBegin(group);
                } catch (ClosedChannelException e) {
                    call = null; // the carrier takes no more requests (stopping past its deadline, failed)
                }
                if (call != null) {
                    try {
                        call.op(Op.CLOSE, fd).submit(NOT_A_CHANNEL);
                    } catch (ClosedChannelException e) {
                        // the carrier failed with the CLOSE submitted: it may have run, so the fd
                        // number, perhaps reused meanwhile, must not be closed again
                    } finally {
                        call.end();
                    }
                    return;
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        group.backend().close(fd);
    }

    private static int submit(CarrierGroup group, byte op, int fd, ByteBuffer buffer, int length, long offset, int opFlags)
            throws ClosedChannelException {
        IoCall call = IoCall.begin(group, fd);
        try {
            return call.op(op, fd).buffer(buffer, 0, length).offset(offset).opFlags(opFlags).submit(NOT_A_CHANNEL);
        } finally {
            call.end();
        }
    }

    /**
     * The new fd, or the errno as an exception naming the call; on a fibril interrupted by now, the
     * fd (if any) is closed and the interrupt wins.
     */
    private static int made(CarrierGroup group, int fd, String operation, String path) throws IOException {
        if (Thread.currentThread().isInterrupted() && isFibrilOf(Carrier.current(), group)) {
            if (fd >= 0) {
                close(group, fd);
            }
            throw new ClosedByInterruptException();
        }
        if (fd < 0) {
            throw new ErrnoException(path == null ? operation : operation + " " + path, -fd);
        }
        return fd;
    }

    private static void checkNotInterrupted() throws ClosedByInterruptException {
        if (Thread.currentThread().isInterrupted()) {
            throw new ClosedByInterruptException(); // nothing opened yet; the status stays set, as java.nio's
        }
    }
}
