/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.SplicePipe;
import dev.fibril.internal.io.SplicePipePool;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.IoCall;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;

/**
 * sendFile: on a fibril whose backend splices, a {@link SpliceChain} through a pipe of its own
 * (file -> pipe -> socket, no copy through user space); where the backend has no SPLICE, the
 * carrier has no pipe to spare (see {@link SplicePipePool}), the kernel refuses to splice the
 * pair, or the caller is not a fibril, it reads and sends instead.
 *
 * <p>Resources: a chain holds one descriptor (its splices run one after the other) and one pipe,
 * which is never waited for; read-and-send holds one descriptor at a time. So no sendFile holds
 * one resource while it waits for another.
 *
 * <p>An interrupt closes the socket channel and throws {@link ClosedByInterruptException}, on
 * every path and also while waiting for a descriptor; the file channel stays open. A close of
 * either channel from another thread ends the call with {@link AsynchronousCloseException}.
 */
final class SendFile {
    private SendFile() {
    }

    /** The file channel of {@code socket}'s runtime that {@code file} is, once the arguments are checked as java.nio's transferTo checks them. */
    static FileChannelImpl checkArguments(SocketChannelImpl socket, dev.fibril.aio.FibrilFileChannel file, long position, long count) {
        java.util.Objects.requireNonNull(file, "file");
        if (position < 0) {
            throw new IllegalArgumentException("negative file position: " + position);
        }
        if (count < 0) {
            throw new IllegalArgumentException("negative count: " + count);
        }
        if (!(file instanceof FileChannelImpl f) || f.group() != socket.group()) {
            throw new IllegalArgumentException("not a file channel of this runtime: " + file);
        }
        if (!f.readable()) {
            throw new java.nio.channels.NonReadableChannelException();
        }
        return f;
    }

    static long transfer(FileChannelImpl file, SocketChannelImpl socket, long position, long count) throws IOException {
        long size = file.sizeFor(socket.handle); // an interrupt while it waits closes the socket, not the file
        long end = count >= size - position ? size : position + count; // no overflow for huge counts
        if (position >= end) {
            return 0;
        }
        try {
            Carrier c = Carrier.current();
            if (c != null && c.group() == socket.group() && c.group().backend().supports(Op.SPLICE)) {
                long sent = splice(c, file.handle, socket.handle, position, end);
                if (sent >= 0) {
                    return sent;
                }
            }
            return readAndSend(file.handle, socket, position, end);
        } catch (ClosedByInterruptException e) {
            socket.handle.close(); // as java.nio: the interrupted call's channel is closed
            throw e;
        }
    }

    /** The bytes sent through a chain, or -1 when there is no pipe for one or the kernel cannot splice the pair. */
    private static long splice(Carrier c, FdHandle file, FdHandle socket, long position, long end) throws IOException {
        IoCall call = IoCall.begin(c.group(), socket.fd()); // a fibril of this group: a pooled descriptor's call
        Descriptor d = (Descriptor) call.request();
        SplicePipe pipe = null;
        SpliceChain chain = null;
        try {
            pipe = c.io().splicePipes().tryAcquire();
            if (pipe == null) {
                return -1;
            }
            chain = SpliceChain.on(c, pipe);
            return chain.transfer(d, file, socket, position, end);
        } finally {
            if (pipe != null) {
                if (chain != null && chain.pipeEmpty()) {
                    c.io().splicePipes().release(pipe);
                } else {
                    c.io().splicePipes().discard(pipe); // it may hold bytes of this chain
                }
            }
            call.end();
        }
    }

    private static long readAndSend(FdHandle file, SocketChannelImpl socket, long position, long end) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(SpliceChain.CHUNK, end - position));
        long sent = 0;
        while (position + sent < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - position - sent));
            int n = readFile(file, buf, position + sent);
            if (n <= 0) {
                break;
            }
            if (socket.handle.isClosed()) {
                throw new AsynchronousCloseException();
            }
            socket.write(buf.position(0).limit(n)); // the request filled [0, n) and moved no position
            sent += n;
        }
        return sent;
    }

    /**
     * One pread into {@code buf} (from 0 to its limit). Not {@link FileChannelImpl#read}: an
     * interrupt there would close the file channel, and the channel of this call is the socket.
     */
    private static int readFile(FdHandle file, ByteBuffer buf, long at) throws IOException {
        IoCall call = IoCall.begin(file.group(), file.fd());
        try {
            int n = call.op(Op.READ, file.fd()).buffer(buf, 0, buf.limit()).offset(at).submit(file);
            if (n == -Errno.ECANCELED) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new ClosedByInterruptException();
                }
                if (file.isClosed()) {
                    throw new AsynchronousCloseException();
                }
            }
            return FdCalls.check(n, "sendFile: pread");
        } finally {
            call.end();
        }
    }
}
