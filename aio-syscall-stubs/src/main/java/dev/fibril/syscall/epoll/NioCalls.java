/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The system calls behind each opcode, as NIO calls on the fd's channel. Socket calls are
 * non-blocking and return {@link #WOULD_BLOCK} where the kernel said EAGAIN (a read or write of 0
 * bytes, a null accept, a connect still in progress); file calls block. Every other outcome is a
 * CQE-style result: {@code >= 0} or {@code -errno}. Owner thread of one ring only.
 */
final class NioCalls {
    /** Not a result: the call would block, park the request. */
    static final int WOULD_BLOCK = Integer.MIN_VALUE;
    /** IORING_FSYNC_DATASYNC: fdatasync rather than fsync. */
    static final int FSYNC_DATASYNC = 1;

    private final FdTable fds;
    private final BufferRegion region = new BufferRegion();
    private long blockingFileCalls;

    NioCalls(FdTable fds) {
        this.fds = fds;
    }

    long blockingFileCalls() {
        return blockingFileCalls;
    }

    /** The ring closed: frees the heap-buffer bounce. */
    void free() {
        region.free();
    }

    long bufferDuplicates() {
        return region.duplicates();
    }

    /**
     * -EFAULT for a region outside the buffer, a null buffer with a length or a read into a
     * read-only buffer (as the io_uring backend reports them); 0 when the region is fine.
     */
    static int checkRegion(byte op, IoRequest r) {
        ByteBuffer buffer = r.buffer();
        int position = r.position();
        int length = r.length();
        if (length < 0 || position < 0) {
            return -Errno.EFAULT;
        }
        if (buffer == null) {
            return length == 0 ? 0 : -Errno.EFAULT;
        }
        boolean fills = op == Op.READ || op == Op.RECV;
        return position > buffer.capacity() - length || (fills && buffer.isReadOnly()) ? -Errno.EFAULT : 0;
    }

    /** An OPENAT's path, the UTF-8 bytes of its buffer region; null when the region is not valid. */
    static String path(IoRequest r) {
        ByteBuffer buffer = r.buffer();
        int position = r.position();
        int length = r.length();
        if (buffer == null || length < 0 || position < 0 || position > buffer.capacity() - length) {
            return null;
        }
        byte[] bytes = new byte[length]; // the control plane: a String is what NIO opens by
        buffer.get(position, bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * READ, WRITE, FSYNC or POLL_ADD on a file: blocking positional calls, shielded from the
     * caller's interrupts ({@link InterruptShield}). Socket-only opcodes get -ENOTSOCK.
     */
    int file(byte op, FileChannel file, FdEntry entry, IoRequest r) {
        Object interruptLock = InterruptShield.lockOf(Thread.currentThread());
        if (interruptLock == null) {
            return fileWithoutInterrupt(op, file, entry, r);
        }
        synchronized (interruptLock) { // an interrupt from another thread waits for the call
            return fileWithoutInterrupt(op, file, entry, r);
        }
    }

    private int fileWithoutInterrupt(byte op, FileChannel file, FdEntry entry, IoRequest r) {
        boolean interrupted = InterruptShield.suspendInterrupt();
        try {
            return fileCall(op, file, entry, r);
        } finally {
            InterruptShield.restoreInterrupt(interrupted);
        }
    }

    private int fileCall(byte op, FileChannel file, FdEntry entry, IoRequest r) {
        try {
            switch (op) {
                case Op.READ -> {
                    if (r.offset() < -1) {
                        return -Errno.EINVAL;
                    }
                    if (r.length() == 0) {
                        return 0;
                    }
                    blockingFileCalls++;
                    ByteBuffer b = region.open(r.buffer(), r.position(), r.length(), true);
                    try {
                        int n = r.offset() == -1 ? file.read(b) : file.read(b, r.offset());
                        return Math.max(region.filled(n), 0); // -1 is end of file: read(2) returns 0
                    } finally {
                        region.close();
                    }
                }
                case Op.WRITE -> {
                    if (r.offset() < -1) {
                        return -Errno.EINVAL;
                    }
                    if (r.length() == 0) {
                        return 0;
                    }
                    blockingFileCalls++;
                    ByteBuffer b = region.open(r.buffer(), r.position(), r.length(), false);
                    try {
                        if (entry.append) {
                            return file.write(b, file.size());
                        }
                        return r.offset() == -1 ? file.write(b) : file.write(b, r.offset());
                    } finally {
                        region.close();
                    }
                }
                case Op.FSYNC -> {
                    blockingFileCalls++;
                    file.force(r.opFlags() != FSYNC_DATASYNC);
                    return 0;
                }
                case Op.POLL_ADD -> {
                    return r.opFlags() & (IoRequest.POLLIN | IoRequest.POLLOUT); // a regular file is always ready
                }
                default -> {
                    return -Errno.ENOTSOCK;
                }
            }
        } catch (Exception e) {
            return -NioErrno.of(e);
        }
    }

    /** One non-blocking try of a socket opcode that can park (RECV, SEND, READ, WRITE, ACCEPT, CONNECT). */
    int attempt(byte op, FdEntry entry, IoRequest r, boolean retry) {
        Channel channel = entry.channel();
        return switch (op) {
            case Op.RECV, Op.READ -> channel instanceof SocketChannel sc ? recv(sc, r)
                    : channel instanceof ServerSocketChannel ? -Errno.ENOTCONN : -Errno.ENOTSOCK;
            case Op.SEND, Op.WRITE -> channel instanceof SocketChannel sc ? send(sc, r)
                    : channel instanceof ServerSocketChannel ? -Errno.ENOTCONN : -Errno.ENOTSOCK;
            case Op.ACCEPT -> channel instanceof ServerSocketChannel server ? accept(server)
                    : channel instanceof SocketChannel ? -Errno.EINVAL : -Errno.ENOTSOCK;
            case Op.CONNECT -> channel instanceof SocketChannel sc ? connect(entry, sc, r.address(), retry)
                    : channel instanceof ServerSocketChannel ? -Errno.EISCONN : -Errno.ENOTSOCK;
            default -> -Errno.EINVAL;
        };
    }

    private int recv(SocketChannel socket, IoRequest r) {
        if (r.length() == 0) {
            return 0;
        }
        ByteBuffer b = region.open(r.buffer(), r.position(), r.length(), true);
        try {
            int n = region.filled(socket.read(b));
            return n > 0 ? n : n == 0 ? WOULD_BLOCK : 0; // -1: end of stream, recv(2) returns 0
        } catch (Exception e) {
            return -NioErrno.of(e);
        } finally {
            region.close();
        }
    }

    private int send(SocketChannel socket, IoRequest r) {
        if (r.length() == 0) {
            return 0;
        }
        ByteBuffer b = region.open(r.buffer(), r.position(), r.length(), false);
        try {
            int n = socket.write(b);
            return n > 0 ? n : WOULD_BLOCK;
        } catch (ClosedChannelException e) {
            // NIO says "closed" for an open socket whose output was shut down; send(2) says EPIPE
            return socket.isOpen() ? -Errno.EPIPE : -Errno.EBADF;
        } catch (Exception e) {
            return -NioErrno.of(e);
        } finally {
            region.close();
        }
    }

    private int accept(ServerSocketChannel server) {
        try {
            SocketChannel accepted = server.accept();
            if (accepted == null) {
                return WOULD_BLOCK;
            }
            try {
                accepted.configureBlocking(false);
            } catch (IOException e) {
                accepted.close();
                throw e;
            }
            return fds.add(accepted, false).fd;
        } catch (Exception e) {
            return -NioErrno.of(e);
        }
    }

    /** connect(2) on the first try, then finishConnect once the selector says OP_CONNECT. */
    private int connect(FdEntry entry, SocketChannel socket, InetSocketAddress address, boolean retry) {
        try {
            if (retry) {
                return socket.finishConnect() ? 0 : WOULD_BLOCK;
            }
            if (address == null) {
                return -Errno.EINVAL;
            }
            synchronized (entry) { // listen must not turn this socket into a listener while it connects
                if (entry.channel() != socket) {
                    return entry.isClosed() ? -Errno.EBADF : -Errno.EISCONN;
                }
                return socket.connect(address) ? 0 : WOULD_BLOCK;
            }
        } catch (Exception e) {
            if (!socket.isOpen()) {
                renewSocket(entry, socket); // NIO closes the channel of a failed connect; the fd lives on
            }
            return -NioErrno.of(e);
        }
    }

    /** SHUTDOWN ({@code how}: 0 SHUT_RD, 1 SHUT_WR, 2 SHUT_RDWR) or FSYNC on a socket. */
    static int socketControl(byte op, Channel channel, int how) {
        if (op == Op.FSYNC) {
            return -Errno.EINVAL;
        }
        if (!(channel instanceof SocketChannel socket)) {
            return channel instanceof ServerSocketChannel ? -Errno.ENOTCONN : -Errno.ENOTSOCK;
        }
        if (how < 0 || how > 2) {
            return -Errno.EINVAL;
        }
        try {
            if (how != 1) {
                socket.shutdownInput();
            }
            if (how != 0) {
                socket.shutdownOutput();
            }
            return 0;
        } catch (Exception e) {
            return -NioErrno.of(e);
        }
    }

    /** Gives {@code entry} a fresh unconnected socket in place of {@code dead}, unless it was closed meanwhile. */
    static void renewSocket(FdEntry entry, SocketChannel dead) {
        try {
            SocketChannel fresh = SocketChannel.open();
            fresh.configureBlocking(false);
            if (!entry.replaceChannel(dead, fresh)) {
                fresh.close();
            }
        } catch (IOException e) {
            // out of descriptors: the fd keeps its closed channel and later calls get EBADF
        }
    }
}
