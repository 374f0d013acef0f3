/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;

import java.net.InetSocketAddress;

/**
 * A stream socket of the simulated kernel.
 *
 * <pre>
 *  FRESH -> LISTENING  listen(2)
 *  FRESH -> CONNECTED  CONNECT reached a listener with room in its backlog; accepted sockets are born CONNECTED
 *  any   -> CLOSED     close(2)
 * </pre>
 *
 * <p>Threads: any. Transitions hold the socket's monitor. The data path (RECV, SEND, ACCEPT,
 * POLL_ADD, SHUTDOWN) reads the volatile {@link #connection} or {@link #listener}, each written once on its
 * transition, and then takes only the connection's or listener's lock.
 *
 * <p>Socket options are an immutable {@link Options} in a volatile field, replaced under the
 * monitor and read without it: they are recorded and reported, and change nothing else (the
 * virtual loopback has no Nagle delay and no keep-alive probes; its buffers keep their size).
 */
final class MemorySocket implements Descriptor {
    private static final int FRESH = 0;
    private static final int LISTENING = 1;
    private static final int CONNECTED = 2;
    private static final int CLOSED = 3;

    /** The option values of one socket; Linux level/name pairs as in {@link Backend}. */
    record Options(boolean noDelay, boolean keepAlive, int receiveBuffer, int sendBuffer) {

        /** A new socket's: TCP_NODELAY and SO_KEEPALIVE off, both buffers {@code bufferBytes}. */
        static Options defaults(int bufferBytes) {
            return new Options(false, false, bufferBytes, bufferBytes);
        }

        /** These options with one changed, or null for an option the simulated kernel does not carry. */
        Options with(int level, int name, int value) {
            if (level == Backend.IPPROTO_TCP && name == Backend.TCP_NODELAY) {
                return new Options(value != 0, keepAlive, receiveBuffer, sendBuffer);
            }
            if (level != Backend.SOL_SOCKET) {
                return null;
            }
            return switch (name) {
                case Backend.SO_KEEPALIVE -> new Options(noDelay, value != 0, receiveBuffer, sendBuffer);
                case Backend.SO_RCVBUF -> new Options(noDelay, keepAlive, value, sendBuffer);
                case Backend.SO_SNDBUF -> new Options(noDelay, keepAlive, receiveBuffer, value);
                default -> null;
            };
        }

        /** The option's value (booleans as 0 or 1), or {@code -ENOPROTOOPT}. */
        int get(int level, int name) {
            if (level == Backend.IPPROTO_TCP && name == Backend.TCP_NODELAY) {
                return noDelay ? 1 : 0;
            }
            if (level != Backend.SOL_SOCKET) {
                return -Errno.ENOPROTOOPT;
            }
            return switch (name) {
                case Backend.SO_KEEPALIVE -> keepAlive ? 1 : 0;
                case Backend.SO_RCVBUF -> receiveBuffer;
                case Backend.SO_SNDBUF -> sendBuffer;
                default -> -Errno.ENOPROTOOPT;
            };
        }
    }

    private final Loopback loopback;
    private final DescriptorTable table;
    private final int bufferBytes;
    private volatile Options options;

    private int state;          // guarded by this
    private int localPort;      // guarded by this
    private int remotePort;     // guarded by this
    /** Written before {@link #connection} is published, read after it: the volatile orders it. */
    private int side;
    private volatile Listener listener;
    private volatile Connection connection;

    MemorySocket(Loopback loopback, DescriptorTable table, int bufferBytes) {
        this(loopback, table, bufferBytes, Options.defaults(bufferBytes));
    }

    private MemorySocket(Loopback loopback, DescriptorTable table, int bufferBytes, Options options) {
        this.loopback = loopback;
        this.table = table;
        this.bufferBytes = bufferBytes;
        this.options = options;
    }

    /**
     * The server end of a new connection, established and waiting in a listener's backlog. It
     * starts with the listening socket's options, as a Linux accepted socket does.
     */
    static MemorySocket accepted(MemorySocket client, Listener listener, Connection connection, int localPort,
                                 int remotePort) {
        MemorySocket socket = new MemorySocket(client.loopback, client.table, client.bufferBytes,
                listener.socketOptions());
        synchronized (socket) {
            socket.state = CONNECTED;
            socket.localPort = localPort;
            socket.remotePort = remotePort;
            socket.side = Connection.SERVER;
            socket.connection = connection;
        }
        return socket;
    }

    synchronized int listen(InetSocketAddress address, int backlog) {
        if (state == CLOSED) {
            return -Errno.EBADF;
        }
        if (state != FRESH) {
            return -Errno.EINVAL;
        }
        if (address == null) {
            return -Errno.EINVAL;
        }
        if (!Loopback.isLocal(address)) {
            return -Errno.EADDRNOTAVAIL;
        }
        int port = loopback.reserve(address.getPort());
        if (port < 0) {
            return port;
        }
        // Linux clamps the backlog to [1, somaxconn]; somaxconn is 4096 since 5.4.
        Listener created = new Listener(this, port, Math.clamp(backlog, 1, 4096), table);
        loopback.listen(port, created);
        localPort = port;
        listener = created;
        state = LISTENING;
        return 0;
    }

    /** CONNECT: 0 once the connection waits in the listener's backlog, or {@code -errno}. Never waits. */
    synchronized int connect(InetSocketAddress address) {
        switch (state) {
            case CLOSED:
                return -Errno.EBADF;
            case LISTENING:
                return -Errno.EINVAL;
            case CONNECTED:
                return -Errno.EISCONN;
            default:
                break;
        }
        if (address == null) {
            return -Errno.EINVAL;
        }
        if (!Loopback.isLocal(address)) {
            return -Errno.ENETUNREACH;
        }
        Listener target = loopback.listener(address.getPort());
        if (target == null) {
            return -Errno.ECONNREFUSED;
        }
        int port = loopback.ephemeral();
        if (port < 0) {
            return port;
        }
        Connection created = new Connection(bufferBytes);
        if (!target.offer(accepted(this, target, created, target.port(), port))) {
            loopback.release(port);
            return -Errno.ECONNREFUSED;
        }
        localPort = port;
        remotePort = target.port();
        side = Connection.CLIENT;
        connection = created;
        state = CONNECTED;
        return 0;
    }

    int recv(PendingOp op) {
        Connection c = connection;
        return c != null ? c.recv(side, op) : notConnected();
    }

    int send(PendingOp op, boolean dontWait) {
        Connection c = connection;
        return c != null ? c.send(side, op, dontWait) : notConnected();
    }

    /** POLL_ADD: the ready mask, or WAITING; an unconnected socket is at once POLLOUT and POLLHUP, as on Linux. */
    int poll(PendingOp op) {
        Connection c = connection;
        if (c != null) {
            return c.poll(side, op);
        }
        Listener l = listener;
        if (l != null) {
            return l.poll(op);
        }
        synchronized (this) {
            return state == CLOSED ? -Errno.EBADF : (op.events & IoRequest.POLLOUT) | IoRequest.POLLHUP;
        }
    }

    int shutdown(int how) {
        Connection c = connection;
        return c != null ? c.shutdown(side, how) : notConnected();
    }

    int accept(PendingOp op) {
        Listener l = listener;
        return l != null ? l.accept(op) : -Errno.EINVAL;
    }

    /** An injected ECONNRESET: the connection, if any, fails both directions from now on. */
    void reset() {
        Connection c = connection;
        if (c != null) {
            c.reset();
        }
    }

    /** A server end that will never be accepted (listener closed, or no fd left): its client sees ECONNRESET. */
    void refuse() {
        connection.reset();
    }

    /** setsockopt(2): 0, {@code -ENOPROTOOPT}, {@code -EINVAL} for a buffer size below 1, {@code -EBADF} once closed. */
    synchronized int setOption(int level, int name, int value) {
        if (state == CLOSED) {
            return -Errno.EBADF;
        }
        boolean bufferSize = level == Backend.SOL_SOCKET && (name == Backend.SO_RCVBUF || name == Backend.SO_SNDBUF);
        if (bufferSize && value < 1) {
            return -Errno.EINVAL;
        }
        Options changed = options.with(level, name, value);
        if (changed == null) {
            return -Errno.ENOPROTOOPT;
        }
        options = changed;
        return 0;
    }

    /** getsockopt(2): the value as set (booleans as 0 or 1), or {@code -ENOPROTOOPT}. */
    int getOption(int level, int name) {
        return options.get(level, name);
    }

    Options options() {
        return options;
    }

    synchronized InetSocketAddress localAddress() {
        return state == LISTENING || state == CONNECTED ? Loopback.address(localPort) : null;
    }

    synchronized InetSocketAddress remoteAddress() {
        return state == CONNECTED ? Loopback.address(remotePort) : null;
    }

    @Override
    public void close() {
        int was;
        int port;
        synchronized (this) {
            was = state;
            port = localPort;
            state = CLOSED;
        }
        if (was == LISTENING) {
            loopback.release(port);
            for (MemorySocket unaccepted : listener.close()) {
                unaccepted.refuse();
            }
        } else if (was == CONNECTED) {
            connection.close(side);
            if (side == Connection.CLIENT) {
                loopback.release(port);
            }
        }
    }

    private int notConnected() {
        return listener != null ? -Errno.EINVAL : -Errno.ENOTCONN;
    }
}
