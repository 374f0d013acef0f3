/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A listening socket's accept queue: connections the clients already see as established (their
 * CONNECT completed with 0), bounded by the backlog, and the ACCEPTs waiting for one. An accepted
 * connection gets its fd when an ACCEPT takes it, so unaccepted ones do not count as open fds.
 *
 * <p>Threads: any; every method but {@link #socketOptions} holds the listener's monitor. Lock order: socket, listener,
 * connection, fd table, completion queue.
 */
final class Listener implements Waitable {
    private final MemorySocket socket;
    private final int port;
    private final int backlog;
    private final DescriptorTable table;
    private final ArrayDeque<MemorySocket> queued = new ArrayDeque<>();
    private final ArrayDeque<PendingOp> acceptors = new ArrayDeque<>();
    /** POLL_ADDs waiting for a connection to accept (POLLIN). */
    private final ArrayDeque<PendingOp> pollers = new ArrayDeque<>();
    private boolean closed;

    Listener(MemorySocket socket, int port, int backlog, DescriptorTable table) {
        this.socket = socket;
        this.port = port;
        this.backlog = backlog;
        this.table = table;
    }

    int port() {
        return port;
    }

    /** The listening socket's options, which a connection it accepts starts with. Takes no lock. */
    MemorySocket.Options socketOptions() {
        return socket.options();
    }

    /** ACCEPT: the new fd, {@code -errno}, or {@link SimulatedRing#WAITING} when queued. */
    synchronized int accept(PendingOp op) {
        if (closed) {
            return -Errno.EBADF;
        }
        if (acceptors.isEmpty() && !queued.isEmpty()) {
            MemorySocket socket = queued.pollFirst();
            int fd = table.install(socket);
            if (fd < 0) {
                socket.refuse();
            }
            return fd;
        }
        op.await(this, 0);
        acceptors.addLast(op);
        return SimulatedRing.WAITING;
    }

    /**
     * POLL_ADD: POLLIN (when asked for) once a connection waits to be accepted and no ACCEPT is
     * queued before it, {@code -EBADF} once closed, or WAITING.
     */
    synchronized int poll(PendingOp op) {
        if (closed) {
            return -Errno.EBADF;
        }
        int ready = ready(op.events);
        if (ready != 0) {
            return ready;
        }
        op.await(this, 0);
        pollers.addLast(op);
        return SimulatedRing.WAITING;
    }

    private int ready(int events) {
        return acceptors.isEmpty() && !queued.isEmpty() ? events & IoRequest.POLLIN : 0;
    }

    /** A client connects: hands {@code serverEnd} to a waiting ACCEPT or queues it. False when refused (closed, backlog full, no fd). */
    synchronized boolean offer(MemorySocket serverEnd) {
        if (closed) {
            return false;
        }
        PendingOp acceptor = acceptors.pollFirst();
        if (acceptor != null) {
            int fd = table.install(serverEnd);
            acceptor.complete(fd);
            return fd >= 0;
        }
        if (queued.size() >= backlog) {
            return false;
        }
        queued.addLast(serverEnd);
        // A listener is only ever readable (Linux's inet_csk_listen_poll): a poll for POLLOUT alone keeps waiting.
        for (int n = pollers.size(); n > 0; n--) {
            PendingOp poller = pollers.pollFirst();
            int ready = ready(poller.events);
            if (ready != 0) {
                poller.complete(ready);
            } else {
                pollers.addLast(poller);
            }
        }
        return true;
    }

    /** Stops listening: waiting ACCEPTs are cancelled; returns the queued, unaccepted server ends, which the caller refuses. */
    synchronized List<MemorySocket> close() {
        closed = true;
        for (PendingOp op = acceptors.pollFirst(); op != null; op = acceptors.pollFirst()) {
            op.complete(-Errno.ECANCELED);
        }
        for (PendingOp op = pollers.pollFirst(); op != null; op = pollers.pollFirst()) {
            op.complete(-Errno.ECANCELED);
        }
        List<MemorySocket> refused = new ArrayList<>(queued);
        queued.clear();
        return refused;
    }

    @Override
    public synchronized boolean cancel(PendingOp op) {
        if (!op.waiting) {
            return false;
        }
        if (!acceptors.remove(op)) {
            pollers.remove(op);
        }
        op.complete(-Errno.ECANCELED);
        return true;
    }
}
