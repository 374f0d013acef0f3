package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.IoCalls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;

/**
 * sendFile as a linked request chain, the analogue of the kevent {@code aio_sendfile} state
 * machine: for each chunk, SPLICE file -> carrier pipe (linked) then SPLICE pipe -> socket, one
 * park for both. A short first splice breaks the link in the kernel; the bytes it did move are
 * then drained from the pipe with plain splices, so the pipe is empty after every chunk. Where the
 * backend has no SPLICE or no pipe, or the caller is not a fibril, it reads and sends instead.
 */
final class SendFile {
    /** A pipe holds 64 KiB by default: a chunk never waits for the pipe to drain. */
    private static final int CHUNK = 64 * 1024;

    private SendFile() {
    }

    static long transfer(FileChannelImpl file, SocketChannelImpl socket, long position, long count) throws IOException {
        long size = file.size();
        long end = count >= size - position ? size : position + count; // no overflow for huge counts
        if (position >= end) {
            return 0;
        }
        Carrier c = Carrier.current();
        if (c != null && c.group() == socket.core().group() && c.group().backend().supports(Op.SPLICE)
                && c.splicePipe() != null) {
            long sent = splice(c, file.core(), socket.core(), position, end);
            if (sent >= 0) {
                return sent;
            }
        }
        return readAndSend(file, socket, position, end);
    }

    private static long splice(Carrier c, ChannelCore file, ChannelCore socket, long position, long end) throws IOException {
        long sent = 0;
        Descriptor in = (Descriptor) IoCalls.begin(c.group(), file.fd());
        Descriptor out = null;
        try {
            out = (Descriptor) IoCalls.begin(c.group(), socket.fd());
            while (position + sent < end) {
                int[] pipe = c.splicePipe();
                int len = (int) Math.min(CHUNK, end - position - sent);
                in.prepare(Op.SPLICE, file.fd(), null, 0, len, position + sent);
                in.opFlags(pipe[1]);
                in.flags(IoRequest.FLAG_LINK);
                out.prepare(Op.SPLICE, pipe[0], null, 0, len, -1);
                out.opFlags(socket.fd());
                int moved = runChain(c, in, out, file, socket);
                if (moved < 0) {
                    if (sent == 0 && (moved == -Errno.EINVAL || moved == -Errno.EOPNOTSUPP)) {
                        return -1; // the kernel refused splice for this pair: the caller falls back
                    }
                    throw new dev.fibril.aio.ErrnoException("splice to socket", -moved);
                }
                if (moved == 0) {
                    break; // the file ended early
                }
                sent += moved;
            }
            return sent;
        } finally {
            IoCalls.end(in);
            if (out != null) {
                IoCalls.end(out);
            }
        }
    }

    /** One chunk: returns the bytes that reached the socket, or -errno; leaves the pipe empty. */
    private static int runChain(Carrier c, Descriptor in, Descriptor out, ChannelCore file, ChannelCore socket) throws IOException {
        in.owner(Thread.currentThread());
        out.owner(Thread.currentThread());
        in.channel(file);
        out.channel(socket);
        c.submitLinked(in, out);
        if (file.isClosed() || socket.isClosed()) {
            // a close while this fibril waited for a descriptor found nothing to cancel yet
            c.cancel(in);
            c.cancel(out);
        }
        int outResult = c.awaitDone(out);
        int inResult = c.awaitDone(in);
        if (Thread.currentThread().isInterrupted() && (inResult == -Errno.ECANCELED || outResult == -Errno.ECANCELED)) {
            c.discardSplicePipe();
            throw new ClosedByInterruptException();
        }
        if (socket.isClosed() || file.isClosed()) {
            c.discardSplicePipe();
            throw new java.nio.channels.AsynchronousCloseException();
        }
        if (inResult <= 0) {
            return inResult;
        }
        int delivered = Math.max(outResult, 0);
        while (delivered < inResult) { // the link broke on a short splice: drain what is in the pipe
            out.retake();
            out.prepare(Op.SPLICE, c.splicePipe()[0], null, 0, inResult - delivered, -1);
            out.opFlags(socket.fd());
            int n = IoCalls.submitAndAwait(out, socket);
            if (n <= 0) {
                c.discardSplicePipe(); // the pipe may still hold bytes of this chunk
                return n < 0 ? n : -Errno.EPIPE;
            }
            delivered += n;
        }
        return delivered;
    }

    private static long readAndSend(FileChannelImpl file, SocketChannelImpl socket, long position, long end) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(CHUNK, end - position));
        long sent = 0;
        while (position + sent < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - position - sent));
            int n = file.read(buf, position + sent);
            if (n <= 0) {
                break;
            }
            socket.write(buf.flip());
            sent += n;
        }
        return sent;
    }
}
