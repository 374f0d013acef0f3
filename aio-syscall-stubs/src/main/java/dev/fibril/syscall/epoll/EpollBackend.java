/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.Op;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.FileChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.BitSet;

/**
 * The epoll {@link Backend}, on plain {@code java.nio}: one {@link EpollRing} (one
 * {@link java.nio.channels.Selector}, which is epoll on Linux) per carrier, and an fd table that
 * maps the int fds the runtime sees to NIO channels ({@link FileChannel}; {@link SocketChannel} and
 * {@link ServerSocketChannel}, non-blocking). The portable fallback where io_uring is missing: no
 * FFM, no JNI. The synchronous calls allocate (they are the control plane).
 *
 * <p>Threads: every method is thread-safe. Closing an fd cancels what any ring has parked on it by
 * a command to that ring (its owner completes the requests with -ECANCELED), see {@link #close(int)}.
 *
 * <p>Where NIO differs from the kernel, this class imitates the kernel: the fd from {@link #socket()}
 * becomes a server socket at {@link #listen} (NIO has two channel types where Linux has one socket),
 * an fd whose connect failed stays a usable socket, O_APPEND and growing {@link #truncate} are
 * emulated (see {@link FileOpener} and {@link #truncate}). The rings take OPENAT, CLOSE, STATX,
 * FTRUNCATE and SOCKET too, and perform them at submission with this class's synchronous calls (on
 * the ring owner's thread: the runtime's carrier hand-off then covers a slow one). Sockets are dual-stack where the host
 * has IPv6 (NIO's default), so IPv4 peers come back as {@link java.net.Inet4Address}.
 */
public final class EpollBackend implements Backend {
    /** Submissions one ring holds between flushes, unless given. */
    public static final int DEFAULT_SUBMISSION_ENTRIES = 4096;
    private static final long SUPPORTED_OPS = bits(Op.NOP, Op.READ, Op.WRITE, Op.FSYNC, Op.ACCEPT, Op.CONNECT, Op.RECV,
            Op.SEND, Op.SHUTDOWN, Op.TIMEOUT, Op.LINK_TIMEOUT, Op.ASYNC_CANCEL, Op.POLL_ADD,
            Op.OPENAT, Op.CLOSE, Op.STATX, Op.FTRUNCATE, Op.SOCKET);

    private final FdTable fds = new FdTable();
    private final int submissionEntries;
    private final Object ringLock = new Object();
    private final BitSet ringIds = new BitSet(); // guarded by ringLock
    /** Open rings, copied on write: close(fd) reads it on any thread. */
    private volatile EpollRing[] rings = new EpollRing[0];
    private volatile boolean closed;

    /** A backend whose rings hold {@link #DEFAULT_SUBMISSION_ENTRIES} submissions. */
    public EpollBackend() {
        this(DEFAULT_SUBMISSION_ENTRIES);
    }

    /**
     * A backend whose rings hold {@code submissionEntries} submissions between flushes.
     *
     * @throws IllegalArgumentException if {@code submissionEntries} is below 1
     */
    public EpollBackend(int submissionEntries) {
        if (submissionEntries < 1) {
            throw new IllegalArgumentException("submissionEntries must be at least 1, was " + submissionEntries);
        }
        this.submissionEntries = submissionEntries;
    }

    /** Whether this backend implements opcode {@code op} ({@link Op} values); others complete with -EINVAL. */
    public static boolean supportsOp(int op) {
        return op >= 0 && op < Long.SIZE && (SUPPORTED_OPS & 1L << op) != 0;
    }

    /** Same as {@link #supportsOp}. */
    @Override
    public boolean supports(int op) {
        return supportsOp(op);
    }

    @Override
    public String name() {
        return "epoll";
    }

    /**
     * Opens a ring (a new selector) for carrier {@code carrierIndex}. Call its methods from that carrier only.
     *
     * @throws UncheckedIOException if the selector cannot be opened (EMFILE, ...)
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public EpollRing openRing(int carrierIndex) {
        synchronized (ringLock) {
            if (closed) {
                throw new IllegalStateException("backend is closed");
            }
            int id = ringIds.nextClearBit(0);
            EpollRing ring;
            try {
                ring = new EpollRing(this, fds, id, carrierIndex, submissionEntries);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open a selector for ring " + carrierIndex, e);
            }
            ringIds.set(id);
            EpollRing[] current = rings;
            EpollRing[] bigger = Arrays.copyOf(current, current.length + 1);
            bigger[current.length] = ring;
            rings = bigger;
            return ring;
        }
    }

    void onRingClosed(EpollRing ring) {
        synchronized (ringLock) {
            EpollRing[] current = rings;
            rings = Arrays.stream(current).filter(r -> r != ring).toArray(EpollRing[]::new);
            ringIds.clear(ring.id());
        }
    }

    @Override
    public int open(String path, int flags, int mode) {
        if (path == null) {
            return -Errno.EFAULT;
        }
        if (path.isEmpty()) {
            return -Errno.ENOENT; // as open(2); Path.of("") would name the working directory
        }
        try {
            FileChannel file = FileOpener.open(path, flags, mode);
            return fds.add(file, FileOpener.emulatesAppend(flags)).fd;
        } catch (Exception e) {
            return -NioErrno.of(e);
        }
    }

    /** {@inheritDoc} An unconnected, non-blocking socket; {@link #listen} or a CONNECT decides what it becomes. */
    @Override
    public int socket() {
        try {
            SocketChannel socket = SocketChannel.open();
            try {
                socket.configureBlocking(false);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
            return fds.add(socket, false).fd;
        } catch (Exception e) {
            return -NioErrno.of(e);
        }
    }

    /**
     * {@inheritDoc} With SO_REUSEADDR. The fd's unconnected socket is replaced by a listening one
     * under the same number. -EINVAL if it is connected, connecting or already listening;
     * -ENOTSOCK for a file.
     */
    @Override
    public int listen(int fd, InetSocketAddress address, int backlog) {
        FdEntry entry = fds.get(fd);
        if (entry == null) {
            return -Errno.EBADF;
        }
        Channel channel = entry.channel();
        if (!(channel instanceof SocketChannel socket)) {
            return channel instanceof ServerSocketChannel ? -Errno.EINVAL : -Errno.ENOTSOCK;
        }
        if (socket.isConnected() || socket.isConnectionPending()) {
            return -Errno.EINVAL;
        }
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open();
            server.configureBlocking(false);
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            // Before bind: a receive buffer set on the socket must shape the window scale that
            // accepted connections negotiate. An option set while listen runs stays on the old socket.
            entry.applyOptions(server);
            server.bind(address, backlog);
        } catch (Exception e) {
            closeQuietly(server);
            return -NioErrno.of(e);
        }
        int r = entry.becomeListener(socket, server); // re-checked under the entry's monitor
        closeQuietly(r == 0 ? socket : server);
        return r;
    }

    @Override
    public InetSocketAddress localAddress(int fd) {
        FdEntry entry = fds.get(fd);
        if (entry == null || !(entry.channel() instanceof NetworkChannel channel)) {
            return null;
        }
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public InetSocketAddress remoteAddress(int fd) {
        FdEntry entry = fds.get(fd);
        if (entry == null || !(entry.channel() instanceof SocketChannel channel)) {
            return null;
        }
        try {
            return (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * {@inheritDoc} TCP_NODELAY, SO_KEEPALIVE, SO_RCVBUF and SO_SNDBUF, through the NIO channel.
     * They stay with the fd when its channel is replaced (at {@link #listen}, or after a failed
     * connect), as they stay with a Linux socket; but a listening fd is a NIO server socket, which
     * carries only SO_RCVBUF (the others: {@code -ENOPROTOOPT}), so accepted sockets do not inherit
     * TCP_NODELAY or SO_KEEPALIVE from it as they would from a Linux listener.
     */
    @Override
    public int setOption(int fd, int level, int name, int value) {
        FdEntry entry = fds.get(fd);
        if (entry == null) {
            return -Errno.EBADF;
        }
        SocketOption<?> option = NioSocketOptions.of(level, name);
        if (option == null) {
            return entry.isFile() ? -Errno.ENOTSOCK : -Errno.ENOPROTOOPT;
        }
        return entry.setOption(option, value);
    }

    /** {@inheritDoc} The NIO channel's value, which for a buffer size is the kernel's (twice what was set). */
    @Override
    public int getOption(int fd, int level, int name) {
        FdEntry entry = fds.get(fd);
        if (entry == null) {
            return -Errno.EBADF;
        }
        if (!(entry.channel() instanceof NetworkChannel channel)) {
            return -Errno.ENOTSOCK;
        }
        SocketOption<?> option = NioSocketOptions.of(level, name);
        return option == null ? -Errno.ENOPROTOOPT : NioSocketOptions.get(channel, option);
    }

    /** {@inheritDoc} 0 for a socket, as fstat(2) says. */
    @Override
    public long size(int fd) {
        FdEntry entry = fds.get(fd);
        if (entry == null) {
            return -Errno.EBADF;
        }
        if (!(entry.channel() instanceof FileChannel file)) {
            return 0;
        }
        Object interruptLock = InterruptShield.lockOf(Thread.currentThread());
        if (interruptLock == null) {
            return sizeWithoutInterrupt(file);
        }
        synchronized (interruptLock) { // see InterruptShield: an interrupt must not close the fd's channel
            return sizeWithoutInterrupt(file);
        }
    }

    private static long sizeWithoutInterrupt(FileChannel file) {
        boolean interrupted = InterruptShield.suspendInterrupt();
        try {
            return file.size();
        } catch (Exception e) {
            return -NioErrno.of(e);
        } finally {
            InterruptShield.restoreInterrupt(interrupted);
        }
    }

    /**
     * {@inheritDoc} NIO only shrinks, so growing writes one zero byte at {@code size - 1}: the file
     * reads the same as after ftruncate(2) (zeros up to {@code size}), but its last block is
     * allocated rather than a hole. -EINVAL for a socket, a negative size or an fd not open for writing.
     */
    @Override
    public int truncate(int fd, long size) {
        FdEntry entry = fds.get(fd);
        if (entry == null) {
            return -Errno.EBADF;
        }
        if (!(entry.channel() instanceof FileChannel file) || size < 0) {
            return -Errno.EINVAL;
        }
        Object interruptLock = InterruptShield.lockOf(Thread.currentThread());
        if (interruptLock == null) {
            return truncateWithoutInterrupt(file, size);
        }
        synchronized (interruptLock) { // see InterruptShield: an interrupt must not close the fd's channel
            return truncateWithoutInterrupt(file, size);
        }
    }

    private static int truncateWithoutInterrupt(FileChannel file, long size) {
        boolean interrupted = InterruptShield.suspendInterrupt();
        try {
            long current = file.size();
            if (size < current) {
                file.truncate(size);
            } else if (size > current) {
                ByteBuffer zero = ByteBuffer.allocate(1);
                while (zero.hasRemaining()) {
                    file.write(zero, size - 1);
                }
            }
            return 0;
        } catch (java.nio.channels.NonWritableChannelException e) {
            return -Errno.EINVAL;
        } catch (Exception e) {
            return -NioErrno.of(e);
        } finally {
            InterruptShield.restoreInterrupt(interrupted);
        }
    }

    /**
     * {@inheritDoc} Requests parked on {@code fd} in any ring complete with -ECANCELED, delivered by
     * that ring's owner: the ring gets a command and a selector wake-up, and its owner completes
     * them at its next flush or wait. Requests that start later get -EBADF. Does not block.
     */
    @Override
    public int close(int fd) {
        FdEntry entry = fds.remove(fd);
        if (entry == null) {
            return -Errno.EBADF;
        }
        return closeEntry(entry);
    }

    private int closeEntry(FdEntry entry) {
        Channel channel = entry.markClosed();
        long announced = entry.rings(); // after markClosed: see FdEntry's Dekker pair
        if (announced != 0) {
            for (EpollRing ring : rings) {
                if ((announced & ring.ringBit()) != 0) {
                    ring.onFdClosed(entry);
                }
            }
        }
        try {
            // A channel still registered with a selector is closed for good once that selector
            // deregisters its key (at its next select, or when the ring closes).
            channel.close();
            return 0;
        } catch (IOException e) {
            return -NioErrno.of(e);
        }
    }

    /** Descriptors open through this backend and its rings (ACCEPT counts). */
    @Override
    public int openDescriptors() {
        return fds.count();
    }

    /** Closes every descriptor still open and refuses new rings. Close the rings first. */
    @Override
    public void close() {
        synchronized (ringLock) {
            closed = true;
        }
        for (FdEntry entry : fds.removeAll()) {
            closeEntry(entry);
        }
    }

    private static void closeQuietly(Channel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to do for a channel being thrown away
            }
        }
    }

    private static long bits(byte... ops) {
        long set = 0;
        for (byte op : ops) {
            set |= 1L << op;
        }
        return set;
    }
}
