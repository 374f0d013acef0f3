/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;

import java.util.ArrayDeque;

/**
 * An established stream connection on the virtual loopback: two sides (the connecting client and
 * the accepted server end), each with a bounded inbox and FIFO queues of waiting RECVs and SENDs.
 *
 * <p>Threads: the two sides are usually driven by different rings on different threads; every
 * method holds the connection's monitor. A completion that an op on one side causes for a waiter
 * of the other side is posted to that waiter's ring (see {@link PendingOp#complete}).
 *
 * <p>Byte order: an op that finds earlier ops of its kind waiting on its side queues behind them,
 * so sends deliver and receives consume in submission order.
 *
 * <p>Shutdown: SHUT_RD on a side makes its RECVs return 0 and the peer's SENDs fail with EPIPE;
 * SHUT_WR makes its SENDs fail with EPIPE and the peer's RECVs return 0 once the inbox is drained.
 * close is both, plus cancelling the side's own waiters. A reset (the listener closed before the
 * server end was accepted, or an injected {@link Fault#ECONNRESET}) fails both directions with
 * ECONNRESET.
 *
 * <p>Readiness (POLL_ADD): a side is readable when a RECV would not wait (bytes in its inbox, end
 * of stream, a reset) and writable when a SEND would not wait (room in the peer's inbox, or the
 * error the SEND would return); a reset adds POLLERR, both directions finished add POLLHUP, as
 * Linux's {@code tcp_poll} reports them. A poll waits until one of its events (or POLLERR or
 * POLLHUP) holds; polls are independent of each other and of the RECVs and SENDs queued.
 */
final class Connection implements Waitable {
    static final int CLIENT = 0;
    static final int SERVER = 1;

    private static final class Side {
        final ByteRing inbox;
        final ArrayDeque<PendingOp> receivers = new ArrayDeque<>();
        final ArrayDeque<PendingOp> senders = new ArrayDeque<>();
        final ArrayDeque<PendingOp> pollers = new ArrayDeque<>();
        boolean readShut;
        boolean writeShut;
        boolean closed;

        Side(int bufferBytes) {
            inbox = new ByteRing(bufferBytes);
        }
    }

    private final Side[] sides;
    private boolean reset;

    Connection(int bufferBytes) {
        sides = new Side[] {new Side(bufferBytes), new Side(bufferBytes)};
    }

    /** RECV on {@code side}: a count, 0 at end of stream, {@code -errno}, or {@link SimulatedRing#WAITING} when queued. */
    synchronized int recv(int side, PendingOp op) {
        Side me = sides[side];
        if (me.closed) {
            return -Errno.EBADF;
        }
        if (me.receivers.isEmpty()) {
            int result = tryRecv(side, op);
            if (result != SimulatedRing.WAITING) {
                if (result > 0) {
                    pump();
                }
                return result;
            }
        }
        op.await(this, side);
        me.receivers.addLast(op);
        return SimulatedRing.WAITING;
    }

    /**
     * SEND on {@code side}: a count (partial when the peer's inbox is nearly full), {@code -errno}, or
     * WAITING; with {@code dontWait}, {@code -EAGAIN} instead of WAITING (MSG_DONTWAIT).
     */
    synchronized int send(int side, PendingOp op, boolean dontWait) {
        Side me = sides[side];
        if (me.closed) {
            return -Errno.EBADF;
        }
        if (me.senders.isEmpty()) {
            int result = trySend(side, op);
            if (result != SimulatedRing.WAITING) {
                if (result > 0) {
                    pump();
                }
                return result;
            }
        }
        if (dontWait) {
            return -Errno.EAGAIN; // the inbox is full, or sends queued before this one must go first
        }
        op.await(this, side);
        me.senders.addLast(op);
        return SimulatedRing.WAITING;
    }

    /**
     * POLL_ADD on {@code side}: the ready mask ({@code events} that hold, plus POLLERR and POLLHUP
     * when they hold), {@code -EBADF} once the side is closed, or WAITING until one holds.
     */
    synchronized int poll(int side, PendingOp op) {
        Side me = sides[side];
        if (me.closed) {
            return -Errno.EBADF;
        }
        int ready = ready(side, op.events);
        if (ready != 0) {
            return ready;
        }
        op.await(this, side);
        me.pollers.addLast(op);
        return SimulatedRing.WAITING;
    }

    synchronized int shutdown(int side, int how) {
        Side me = sides[side];
        if (me.closed) {
            return -Errno.EBADF;
        }
        if (how != IoRequest.SHUT_RD && how != IoRequest.SHUT_WR && how != IoRequest.SHUT_RDWR) {
            return -Errno.EINVAL;
        }
        if (how != IoRequest.SHUT_WR) {
            me.readShut = true;
            me.inbox.clear();
        }
        if (how != IoRequest.SHUT_RD) {
            me.writeShut = true;
        }
        pump();
        return 0;
    }

    /** The side's fd was closed: its waiters are cancelled, unread data is dropped, the peer sees EOF and EPIPE. */
    synchronized void close(int side) {
        Side me = sides[side];
        if (me.closed) {
            return;
        }
        me.closed = true;
        me.readShut = true;
        me.writeShut = true;
        me.inbox.clear();
        cancelAll(me.receivers);
        cancelAll(me.senders);
        cancelAll(me.pollers);
        pump();
    }

    /** The connection was refused after the client saw it established, or reset by a fault: both directions fail with ECONNRESET. */
    synchronized void reset() {
        reset = true;
        pump();
    }

    @Override
    public synchronized boolean cancel(PendingOp op) {
        if (!op.waiting) {
            return false;
        }
        Side side = sides[op.side];
        if (!side.receivers.remove(op) && !side.senders.remove(op)) {
            side.pollers.remove(op);
        }
        op.complete(-Errno.ECANCELED);
        return true;
    }

    private int tryRecv(int side, PendingOp op) {
        Side me = sides[side];
        if (reset) {
            return -Errno.ECONNRESET;
        }
        if (me.readShut || op.length == 0) {
            return 0;
        }
        if (me.inbox.size() > 0) {
            return me.inbox.read(op.buffer, op.position, op.length);
        }
        return sides[1 - side].writeShut ? 0 : SimulatedRing.WAITING;
    }

    private int trySend(int side, PendingOp op) {
        Side peer = sides[1 - side];
        if (reset) {
            return -Errno.ECONNRESET;
        }
        if (sides[side].writeShut || peer.readShut) {
            return -Errno.EPIPE;
        }
        if (op.length == 0) {
            return 0;
        }
        int sent = peer.inbox.write(op.buffer, op.position, op.length);
        return sent > 0 ? sent : SimulatedRing.WAITING;
    }

    /** Completes waiters until none can progress: a send makes data for receivers, a receive makes room for senders. */
    private void pump() {
        boolean progress;
        do {
            progress = false;
            for (int side = 0; side < 2; side++) {
                progress |= completeReady(sides[side].receivers, side, true);
                progress |= completeReady(sides[side].senders, side, false);
            }
        } while (progress);
        // Last: every state change a poll can see was made above, and completing a poll changes none.
        for (int side = 0; side < 2; side++) {
            completeReadyPolls(side);
        }
    }

    private void completeReadyPolls(int side) {
        ArrayDeque<PendingOp> pollers = sides[side].pollers;
        // Each poll looked at once, in turn: the ready complete, the others go back in their order.
        for (int n = pollers.size(); n > 0; n--) {
            PendingOp op = pollers.pollFirst();
            int ready = ready(side, op.events);
            if (ready != 0) {
                op.complete(ready);
            } else {
                pollers.addLast(op);
            }
        }
    }

    /** The poll(2) mask of {@code side} for {@code events}: those that hold, with POLLERR and POLLHUP always reported. */
    private int ready(int side, int events) {
        Side me = sides[side];
        Side peer = sides[1 - side];
        int mask = 0;
        boolean readable = me.receivers.isEmpty() && (reset || me.readShut || me.inbox.size() > 0 || peer.writeShut);
        boolean writable = me.senders.isEmpty() && (reset || me.writeShut || peer.readShut || peer.inbox.room() > 0);
        if (readable) {
            mask |= IoRequest.POLLIN;
        }
        if (writable) {
            mask |= IoRequest.POLLOUT;
        }
        mask &= events;
        if (reset) {
            mask |= IoRequest.POLLERR;
        }
        if (reset || ((me.readShut || peer.writeShut) && (me.writeShut || peer.readShut))) {
            mask |= IoRequest.POLLHUP;
        }
        return mask;
    }

    private boolean completeReady(ArrayDeque<PendingOp> waiters, int side, boolean receiving) {
        boolean any = false;
        for (PendingOp op = waiters.peekFirst(); op != null; op = waiters.peekFirst()) {
            int result = receiving ? tryRecv(side, op) : trySend(side, op);
            if (result == SimulatedRing.WAITING) {
                break;
            }
            waiters.pollFirst();
            op.complete(result);
            any = true;
        }
        return any;
    }

    private static void cancelAll(ArrayDeque<PendingOp> waiters) {
        for (PendingOp op = waiters.pollFirst(); op != null; op = waiters.pollFirst()) {
            op.complete(-Errno.ECANCELED);
        }
    }
}
