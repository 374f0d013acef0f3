/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Op;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import static dev.fibril.aio.spi.IoRequest.POLLIN;
import static dev.fibril.aio.spi.IoRequest.POLLOUT;
import static dev.fibril.syscall.epoll.NioCalls.WOULD_BLOCK;

/**
 * The half of an {@link EpollRing} that waits on readiness: which requests are parked on which fd
 * ({@link FdWaiters}, indexed by fd number), each channel's key on the ring's selector with the
 * interest its FIFOs need, the selector callback that retries them, and the queue of fds closed by
 * other threads.
 *
 * <p>Threads: the owner of the ring for everything except {@link #onFdClosed}, which any thread
 * may call (it offers to a concurrent queue and wakes the selector; the owner drains the queue in
 * {@link #drainClosed}). Requests leave here only through {@link EpollRequests#complete}, called by the
 * owner for a request it has just taken off a FIFO: that is what makes each completion happen once.
 *
 * <p>Closing an fd against parking on it is the Dekker pair described in {@link FdEntry}: a
 * ring announces itself on the entry before its first park there and then checks for a close;
 * {@link EpollBackend#close(int)} sets closed and then sends every announced ring a command.
 */
final class ReadinessWaits {
    private final EpollRequests ring;
    private final RequestTable table;
    private final NioCalls calls;
    private final Selector selector;
    private final long ringBit;
    private final ConcurrentLinkedQueue<FdEntry> closedFds = new ConcurrentLinkedQueue<>();
    /** The selector callback, made once: a method reference per select would allocate. */
    final Consumer<SelectionKey> onSelected = this::onSelected;
    private FdWaiters[] waiters = new FdWaiters[64];
    private long parkedRequests;
    private long readinessRetries;

    ReadinessWaits(EpollRequests ring, RequestTable table, NioCalls calls, Selector selector, long ringBit) {
        this.ring = ring;
        this.table = table;
        this.calls = calls;
        this.selector = selector;
        this.ringBit = ringBit;
    }

    long parkedRequests() {
        return parkedRequests;
    }

    long readinessRetries() {
        return readinessRetries;
    }

    /** The FIFO a parked request of {@code op} waits in. */
    static int sideOf(byte op) {
        return switch (op) {
            case Op.RECV, Op.READ, Op.ACCEPT -> FdWaiters.READ;
            case Op.POLL_ADD -> FdWaiters.POLL;
            default -> FdWaiters.WRITE;
        };
    }

    /** Whether a new request on {@code entry}'s {@code side} must queue behind parked ones instead of trying at once. */
    boolean mustQueue(FdEntry entry, int side) {
        FdWaiters st = bound(entry);
        return st != null && !st.isEmpty(side);
    }

    /**
     * Parks {@code slot} at the end of its side's FIFO on {@code entry} and makes sure the key's
     * interest covers it; {@code tried}: its first non-blocking try was made. Completes it instead
     * when the fd was closed meanwhile or its channel is dead.
     */
    void park(int slot, FdEntry entry, boolean tried) {
        FdWaiters st = waitersFor(entry);
        if (!st.announced) {
            entry.announceRing(ringBit); // before the closed check: see FdEntry's Dekker pair
            st.announced = true;
        }
        if (entry.isClosed()) {
            ring.complete(slot, -Errno.ECANCELED); // closed by another thread just now
            return;
        }
        if ((st.key == null || st.channel != entry.channel()) && !register(st)) {
            ring.complete(slot, -Errno.EBADF); // the channel died (a failed connect whose socket could not be renewed)
            return;
        }
        table.park(slot);
        table.result[slot] = tried ? 1 : 0; // while parked: whether its first try was made
        table.waitingOn[slot] = st;
        st.append(sideOf(table.opcode[slot]), slot, table.waitNext);
        parkedRequests++;
        updateInterest(st);
    }

    /** Takes a parked request off its FIFO (for a cancel or its link timeout); the caller completes it. */
    void unpark(int slot) {
        FdWaiters st = table.waitingOn[slot];
        st.remove(sideOf(table.opcode[slot]), slot, table.waitNext);
        table.waitingOn[slot] = null;
        if (st.entry != null) {
            updateInterest(st);
        }
    }

    /** Makes the owner complete, with -ECANCELED, what it has parked on {@code entry}, which was just closed. Any thread. */
    void onFdClosed(FdEntry entry) {
        closedFds.add(entry);
        selector.wakeup();
    }

    /** Owner: acts on the fds other threads closed since the last call. */
    void drainClosed() {
        FdEntry entry;
        while ((entry = closedFds.poll()) != null) {
            FdWaiters st = bound(entry);
            if (st != null) {
                fail(st, -Errno.ECANCELED);
            }
        }
    }

    /** Forgets every fd, for the ring's close (its requests are abandoned; closing the selector drops the keys). */
    void clear() {
        Arrays.fill(waiters, null);
        closedFds.clear();
    }

    /** Selector callback: completes pollers, then retries each ready side's FIFO in order. */
    private void onSelected(SelectionKey key) {
        FdWaiters st = (FdWaiters) key.attachment();
        if (st.key != key || st.entry == null) {
            return; // a key this ring has since replaced
        }
        if (st.entry.isClosed()) {
            fail(st, -Errno.ECANCELED); // before its close command arrives
            return;
        }
        int ready = key.readyOps();
        if (!st.isEmpty(FdWaiters.POLL)) {
            completePollers(st, ready);
        }
        if ((ready & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0) {
            retry(st, FdWaiters.READ);
        }
        if ((ready & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0) {
            retry(st, FdWaiters.WRITE);
        }
        if (st.entry != null) {
            updateInterest(st);
        }
    }

    private void completePollers(FdWaiters st, int ready) {
        int mask = ((ready & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0 ? POLLIN : 0)
                | ((ready & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0 ? POLLOUT : 0);
        int s = st.head(FdWaiters.POLL);
        while (s >= 0) {
            int next = table.waitNext[s];
            int hit = table.request[s].opFlags() & mask;
            if (hit != 0) {
                st.remove(FdWaiters.POLL, s, table.waitNext);
                ring.complete(s, hit);
            }
            s = next;
        }
    }

    /** Retries {@code side}'s FIFO from its head until a request would block again. */
    private void retry(FdWaiters st, int side) {
        int slot;
        while (st.entry != null && (slot = st.head(side)) >= 0) {
            readinessRetries++;
            boolean tried = table.result[slot] != 0;
            int res = calls.attempt(table.opcode[slot], st.entry, table.request[slot], tried);
            if (res == WOULD_BLOCK) {
                table.result[slot] = 1;
                return;
            }
            if (res == -Errno.EBADF && st.entry.isClosed()) {
                res = -Errno.ECANCELED; // the fd was closed while this request waited
            }
            st.remove(side, slot, table.waitNext);
            ring.complete(slot, res);
        }
    }

    /** This ring's waiters for {@code entry}, or null when it has none bound to it. */
    private FdWaiters bound(FdEntry entry) {
        int fd = entry.fd;
        FdWaiters st = fd < waiters.length ? waiters[fd] : null;
        return st != null && st.entry == entry ? st : null;
    }

    private FdWaiters waitersFor(FdEntry entry) {
        FdWaiters st = bound(entry);
        if (st != null) {
            return st;
        }
        int fd = entry.fd;
        if (fd >= waiters.length) {
            waiters = Arrays.copyOf(waiters, Math.max(fd + 1, waiters.length * 2));
        }
        st = waiters[fd];
        if (st == null) {
            st = new FdWaiters();
            waiters[fd] = st;
        } else if (st.entry != null) {
            // The number was reused, so its earlier file was closed: whatever still waits on that
            // one is cancelled now (its close command, if still queued, will then find nothing).
            fail(st, -Errno.ECANCELED);
        }
        st.bind(entry);
        return st;
    }

    /** Gives {@code st} a key for its entry's current channel; false when that channel is closed. */
    private boolean register(FdWaiters st) {
        if (st.key != null) {
            st.key.cancel();
        }
        Channel channel = st.entry.channel();
        st.key = null;
        st.channel = channel;
        st.interest = 0;
        try {
            st.key = ((SelectableChannel) channel).register(selector, 0, st);
            return true;
        } catch (ClosedChannelException | CancelledKeyException e) {
            return false;
        }
    }

    /** Sets the key's interest to what the FIFOs need now (0 when they are empty; the key stays). */
    private void updateInterest(FdWaiters st) {
        int want = wantedOps(st);
        if (want == st.interest) {
            return;
        }
        if (trySetInterest(st, want)) {
            return;
        }
        // The key died under us: the channel was closed or replaced.
        if (want == 0) {
            st.interest = 0;
        } else if (st.entry.isClosed() || !register(st) || !trySetInterest(st, want)) {
            fail(st, st.entry.isClosed() ? -Errno.ECANCELED : -Errno.EBADF);
        }
    }

    private static boolean trySetInterest(FdWaiters st, int ops) {
        if (st.key == null) {
            return false;
        }
        try {
            st.key.interestOps(ops);
            st.interest = ops;
            return true;
        } catch (CancelledKeyException e) {
            return false;
        }
    }

    private int wantedOps(FdWaiters st) {
        Channel channel = st.entry.channel();
        int readOp = channel instanceof ServerSocketChannel ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        int ops = 0;
        if (!st.isEmpty(FdWaiters.READ)) {
            ops |= readOp;
        }
        if (!st.isEmpty(FdWaiters.WRITE)) {
            ops |= table.opcode[st.head(FdWaiters.WRITE)] == Op.CONNECT ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
        }
        for (int s = st.head(FdWaiters.POLL); s >= 0; s = table.waitNext[s]) {
            int events = table.request[s].opFlags();
            if ((events & POLLIN) != 0) {
                ops |= readOp;
            }
            if ((events & POLLOUT) != 0 && channel instanceof SocketChannel socket) {
                // NIO reports OP_WRITE only once connected; while connecting, writable is OP_CONNECT
                ops |= socket.isConnectionPending() ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
            }
        }
        return ops;
    }

    /** Completes everything {@code st} has parked with {@code res}, cancels its key and unbinds it. */
    private void fail(FdWaiters st, int res) {
        for (int side = FdWaiters.READ; side <= FdWaiters.POLL; side++) {
            int slot;
            while ((slot = st.head(side)) >= 0) {
                st.remove(side, slot, table.waitNext);
                ring.complete(slot, res);
            }
        }
        if (st.key != null) {
            st.key.cancel();
        }
        st.bind(null);
    }
}
