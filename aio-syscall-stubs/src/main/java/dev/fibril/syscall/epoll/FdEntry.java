/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketOption;
import java.nio.channels.Channel;
import java.nio.channels.FileChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One open descriptor of an {@link EpollBackend}: the NIO channel behind an fd number.
 *
 * <p>The channel can change while the fd stays: {@code listen} turns the socket from
 * {@code socket()} into a server socket, and a failed connect (after which NIO has closed its
 * channel) gets a fresh unconnected socket, as a Linux socket stays usable after ECONNREFUSED.
 * Such swaps, {@link #markClosed}, {@link #setOption} and the start of a connect hold the entry's
 * monitor, so a swap never resurrects a closed fd nor pulls a socket out from under a connect that
 * has begun; readers just read the volatile field. The socket options set on the fd are kept here
 * and set again on the channel that takes the old one's place, as the kernel's one socket keeps
 * them (see {@link #applyOptions}).
 *
 * <pre>
 *  OPEN -> CLOSED   EpollBackend.close(fd), or the backend's own close; never back
 * </pre>
 *
 * <p>Close against parking (a Dekker pair, both sides volatile): a ring announces itself with
 * {@link #announceRing} before it first parks a request on this entry, then reads {@link #isClosed};
 * close sets closed, then reads {@link #rings}. Either the ring sees the close and cancels its
 * request itself, or close sees the ring and sends it a cancel command; possibly both, which the
 * ring tolerates (its second look finds nothing pending).
 */
final class FdEntry {
    private static final VarHandle RINGS;

    static {
        try {
            RINGS = MethodHandles.lookup().findVarHandle(FdEntry.class, "rings", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int fd;
    /** O_APPEND that NIO could not open with: every WRITE goes to the end of the file, whatever its offset. */
    final boolean append;
    private volatile Channel channel;
    private volatile boolean closed;
    /** Bit {@link EpollRing#ringBit()} of each ring that may have requests parked on this fd. */
    @SuppressWarnings("unused") // through RINGS
    private volatile long rings;
    /** Options set on this fd, in the order they were set; null until the first. Guarded by this. */
    private Map<SocketOption<?>, Integer> options;

    FdEntry(int fd, Channel channel, boolean append) {
        this.fd = fd;
        this.channel = channel;
        this.append = append;
    }

    Channel channel() {
        return channel;
    }

    boolean isClosed() {
        return closed;
    }

    /** True when this fd is (still) a plain socket that is neither connected nor connecting. */
    boolean isUnconnectedSocket() {
        return channel instanceof SocketChannel sc && !sc.isConnected() && !sc.isConnectionPending();
    }

    boolean isFile() {
        return channel instanceof FileChannel;
    }

    /**
     * Replaces {@code expected} with {@code fresh}; false (and {@code fresh} is not installed) when
     * the entry was closed or its channel is no longer {@code expected}.
     */
    synchronized boolean replaceChannel(Channel expected, Channel fresh) {
        if (closed || channel != expected) {
            return false;
        }
        if (fresh instanceof NetworkChannel socket) {
            applyOptions(socket);
        }
        channel = fresh;
        return true;
    }

    /**
     * Sets {@code option} on the current channel and keeps it for {@link #applyOptions}: 0 or
     * {@code -errno} as {@link NioSocketOptions#set}, {@code -EBADF} once closed, {@code -ENOTSOCK}
     * for a file.
     */
    synchronized int setOption(SocketOption<?> option, int value) {
        if (closed) {
            return -Errno.EBADF;
        }
        if (!(channel instanceof NetworkChannel socket)) {
            return -Errno.ENOTSOCK;
        }
        int r = NioSocketOptions.set(socket, option, value);
        if (r == 0) {
            if (options == null) {
                options = new LinkedHashMap<>();
            }
            options.put(option, value);
        }
        return r;
    }

    /**
     * Sets the options kept for this fd on {@code fresh}, a channel about to take the current one's
     * place; those that {@code fresh} does not carry (a NIO server socket has no TCP_NODELAY,
     * SO_KEEPALIVE or SO_SNDBUF) are skipped. Best effort: a failure leaves the kernel's default.
     */
    synchronized void applyOptions(NetworkChannel fresh) {
        if (options == null) {
            return;
        }
        for (Map.Entry<SocketOption<?>, Integer> kept : options.entrySet()) {
            if (fresh.supportedOptions().contains(kept.getKey())) {
                NioSocketOptions.set(fresh, kept.getKey(), kept.getValue());
            }
        }
    }

    /**
     * Makes the listening {@code server} this fd's channel in place of {@code socket}: 0, or
     * -EBADF when the fd was closed, -EINVAL when the socket was replaced, is connected or is
     * connecting (as listen(2) on a socket that is not in state CLOSE). The caller closes whichever
     * channel lost.
     */
    synchronized int becomeListener(SocketChannel socket, Channel server) {
        if (closed) {
            return -Errno.EBADF;
        }
        if (channel != socket || socket.isConnected() || socket.isConnectionPending()) {
            return -Errno.EINVAL;
        }
        channel = server;
        return 0;
    }

    /** Marks the entry closed and returns the channel to close; null if it was closed already. */
    synchronized Channel markClosed() {
        if (closed) {
            return null;
        }
        closed = true;
        return channel;
    }

    void announceRing(long ringBit) {
        RINGS.getAndBitwiseOr(this, ringBit);
    }

    long rings() {
        return (long) RINGS.getVolatile(this);
    }
}
