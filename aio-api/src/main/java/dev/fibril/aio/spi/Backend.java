/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio.spi;

import java.net.InetSocketAddress;

/**
 * A kernel interface: io_uring, epoll, or the simulated kernel. Creates one {@link CompletionRing}
 * per carrier and answers the synchronous calls that need no ring. Results follow the CQE
 * convention: {@code >= 0} success, {@code -errno} failure. Thread-safe; a call may block the
 * calling thread (a fibril making one is pinned to its carrier until it returns, as for ring
 * calls: see {@link CompletionRing}). {@link #open}, {@link #socket}, {@link #size},
 * {@link #truncate} and {@link #close} have ring ops too (OPENAT, SOCKET, STATX, FTRUNCATE, CLOSE):
 * the runtime uses those from its fibrils wherever {@link #supports} says the rings carry them, and
 * these synchronous calls elsewhere.
 */
public interface Backend extends AutoCloseable {

    /** open(2) flags, Linux values. */
    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_RDWR = 2;
    int O_CREAT = 0100;
    int O_EXCL = 0200;
    int O_TRUNC = 01000;
    int O_APPEND = 02000;

    /**
     * setsockopt(2) levels and option names for {@link #setOption} and {@link #getOption}, Linux
     * x86_64 and aarch64 values: include/uapi/asm-generic/socket.h (SOL_SOCKET, SO_*),
     * include/uapi/linux/in.h (IPPROTO_TCP), include/uapi/linux/tcp.h (TCP_NODELAY), Linux 6.x.
     */
    int SOL_SOCKET = 1;
    int SO_SNDBUF = 7;
    int SO_RCVBUF = 8;
    int SO_KEEPALIVE = 9;
    int IPPROTO_TCP = 6;
    int TCP_NODELAY = 1;

    /** Short name used in logs and metric tags: {@code io_uring}, {@code epoll}, {@code simulated}. */
    String name();

    /**
     * Whether rings of this backend carry opcode {@code op} (an {@link Op} value). The runtime
     * checks it before choosing a path that needs an optional op, such as SPLICE for sendFile.
     */
    default boolean supports(int op) {
        return true;
    }

    /**
     * Whether a request on a heap buffer goes through a native copy that the ring holds until the
     * completion (io_uring's bounce buffers). The runtime then waits for a socket to be readable
     * before it starts a receive into a heap buffer, so that a read parked on an idle connection
     * holds no native memory.
     */
    default boolean copiesHeapBuffers() {
        return false;
    }

    /**
     * Whether this backend's rings take {@link IoRequest#ACCEPT_MULTISHOT} ACCEPTs (io_uring where
     * the kernel has it and no property switched it off). This default says no: each ACCEPT then
     * accepts one connection.
     */
    default boolean acceptsMultishot() {
        return false;
    }

    /**
     * Whether this backend's rings take {@link IoRequest#RECV_MULTISHOT} receives (io_uring with
     * provided buffer rings, where the kernel has it and no property switched it off). This default
     * says no: each RECV receives once.
     */
    default boolean receivesMultishot() {
        return false;
    }

    /** A new ring for the carrier with this index. */
    CompletionRing openRing(int carrierIndex);

    /**
     * A new ring for the carrier with this index; {@code singleThreaded} promises that one thread,
     * the first to call {@link CompletionRing#start()}, makes every owner call for the ring's life
     * (the runtime's carrier hand-off is off), which lets io_uring bind the ring to that thread
     * (SINGLE_ISSUER, DEFER_TASKRUN). This default ignores the promise.
     */
    default CompletionRing openRing(int carrierIndex, boolean singleThreaded) {
        return openRing(carrierIndex);
    }

    /**
     * The optional kernel features this backend's rings use, and why each of the others is off,
     * for rings opened with {@code singleThreaded} as given (see {@link #openRing(int, boolean)}).
     * This default reports none.
     */
    default dev.fibril.aio.BackendFeatures features(boolean singleThreaded) {
        return dev.fibril.aio.BackendFeatures.none(name());
    }

    /** Opens a file; returns the fd or {@code -errno}. */
    int open(String path, int flags, int mode);

    /** Creates a stream socket; returns the fd or {@code -errno}. */
    int socket();

    /** Binds {@code fd} to {@code address} (port 0: the kernel picks one) and listens. Returns 0 or {@code -errno}. */
    int listen(int fd, InetSocketAddress address, int backlog);

    /** The fd's local address, or null when unbound or not a socket. */
    InetSocketAddress localAddress(int fd);

    /** The fd's peer address, or null when not connected or not a socket. */
    InetSocketAddress remoteAddress(int fd);

    /**
     * setsockopt(2) of the int option {@code level}/{@code name} on socket {@code fd}; a boolean
     * option takes 0 (off) or anything else (on). Returns 0 or {@code -errno}: {@code -EBADF} when
     * {@code fd} is not open, {@code -ENOTSOCK} for a file, {@code -ENOPROTOOPT} for an option the
     * backend does not carry, {@code -EINVAL} for a value it refuses. Does not wait for the
     * network. This default carries no option at all.
     */
    default int setOption(int fd, int level, int name, int value) {
        return -dev.fibril.aio.Errno.ENOPROTOOPT;
    }

    /**
     * getsockopt(2) of the int option {@code level}/{@code name} on socket {@code fd}: its value
     * (booleans as 0 or 1; the options above are never negative), or {@code -errno} as for
     * {@link #setOption}. A buffer size is the kernel's own figure, which need not be the one set:
     * Linux doubles the request (room for its bookkeeping) and caps it at
     * {@code net.core.rmem_max}/{@code wmem_max}. This default carries no option at all.
     */
    default int getOption(int fd, int level, int name) {
        return -dev.fibril.aio.Errno.ENOPROTOOPT;
    }

    /** The size of the file, or {@code -errno}. */
    long size(int fd);

    /** Truncates the file to {@code size}; 0 or {@code -errno}. */
    int truncate(int fd, long size);

    /**
     * Closes {@code fd}; 0 or {@code -errno}. Requests still pending on it complete with an error
     * (EBADF or ECANCELED), never silently.
     */
    int close(int fd);

    /**
     * Creates a pipe for SPLICE: {@code fds[0]} the read end, {@code fds[1]} the write end. Returns
     * 0, or {@code -errno}; {@code -EOPNOTSUPP} where the backend has no pipes.
     */
    default int pipe(int[] fds) {
        return -dev.fibril.aio.Errno.EOPNOTSUPP;
    }

    /** File descriptors currently open through this backend, for leak checks. */
    int openDescriptors();

    /** Releases the backend's own resources. Rings must be closed first. */
    @Override
    void close();
}
