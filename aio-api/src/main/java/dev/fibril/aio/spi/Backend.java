package dev.fibril.aio.spi;

import java.net.InetSocketAddress;

/**
 * A kernel interface: io_uring, epoll, or the simulated kernel. Creates one {@link CompletionRing}
 * per carrier and answers the synchronous calls that need no ring. Results follow the CQE
 * convention: {@code >= 0} success, {@code -errno} failure. Thread-safe; a call may block the
 * calling thread (a fibril making one is pinned to its carrier until it returns, as for ring
 * calls: see {@link CompletionRing}).
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

    /** Short name used in logs and metric tags: {@code io_uring}, {@code epoll}, {@code simulated}. */
    String name();

    /**
     * Whether rings of this backend carry opcode {@code op} (an {@link Op} value). The runtime
     * checks it before choosing a path that needs an optional op, such as SPLICE for sendFile.
     */
    default boolean supports(int op) {
        return true;
    }

    /** A new ring for the carrier with this index. */
    CompletionRing openRing(int carrierIndex);

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
