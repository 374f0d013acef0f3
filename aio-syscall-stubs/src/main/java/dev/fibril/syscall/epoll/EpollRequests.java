/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.link.LinkChains;
import dev.fibril.syscall.link.LinkHost;
import dev.fibril.syscall.link.TimerHeap;

import java.nio.channels.Channel;
import java.nio.channels.FileChannel;
import java.nio.channels.Selector;

import static dev.fibril.aio.spi.IoRequest.POLLHUP;
import static dev.fibril.aio.spi.IoRequest.POLLIN;
import static dev.fibril.aio.spi.IoRequest.POLLOUT;
import static dev.fibril.syscall.epoll.NioCalls.WOULD_BLOCK;
import static dev.fibril.syscall.epoll.RequestTable.DONE;
import static dev.fibril.syscall.epoll.RequestTable.PARKED;
import static dev.fibril.syscall.epoll.RequestTable.TIMED;

/**
 * The half of an {@link EpollRing} that runs its requests: starts each one (no system call for NOP,
 * TIMEOUT, ASYNC_CANCEL; a blocking positional call for a file; a non-blocking try for a socket,
 * parked on readiness when it would block), completes it exactly once into the request table's done
 * queue, and runs timers and link chains ({@link LinkChains}, shared with the simulated kernel).
 * The ring keeps the submission queue, the selector's waits and the reaping.
 *
 * <p>Owner thread only, like the ring.
 */
final class EpollRequests {
    private final EpollBackend backend;
    private final FdTable fds;
    private final RequestTable table;
    private final NioCalls calls;
    private final ReadinessWaits readiness;
    private final TimerHeap timers = new TimerHeap();
    private final LinkChains chains = new LinkChains(new Links());
    /** The slot the last {@link Links#startLinked} started. */
    private int lastStarted = -1;
    private boolean madeSystemCall;
    private long systemCalls;
    private long fastPathCompletions;

    EpollRequests(EpollBackend backend, FdTable fds, RequestTable table, Selector selector, long ringBit) {
        this.backend = backend;
        this.fds = fds;
        this.table = table;
        this.calls = new NioCalls(fds);
        this.readiness = new ReadinessWaits(this, table, calls, selector, ringBit);
    }

    ReadinessWaits readiness() {
        return readiness;
    }

    NioCalls calls() {
        return calls;
    }

    /** Starts the {@code n} enqueued {@code slots} in order, chains included; true when any made a system call. */
    boolean startAll(int[] slots, int n) {
        madeSystemCall = false;
        for (int i = 0; i < n; i++) {
            int slot = slots[i];
            IoRequest r = table.request[slot];
            if (chains.chainOpen() || (r.flags() & IoRequest.FLAG_LINK) != 0) {
                long now = System.nanoTime();
                if (!chains.follows(r, now)) {
                    chains.head(r, now);
                }
            } else {
                start(slot);
            }
            runLinks();
        }
        chains.endFlush(); // as io_uring, a chain ends with its submission batch
        return madeSystemCall;
    }

    /** Whether a TIMEOUT or a link timeout is armed. */
    boolean hasTimers() {
        return timers.size() > 0 || chains.hasArmed();
    }

    /** The earliest armed deadline, TIMEOUT or link timeout; call only when {@link #hasTimers}. */
    long firstDeadline() {
        if (timers.size() == 0) {
            return chains.earliestDeadline();
        }
        if (!chains.hasArmed()) {
            return timers.firstDeadline();
        }
        return timers.firstDeadline() - chains.earliestDeadline() < 0 ? timers.firstDeadline() : chains.earliestDeadline();
    }

    /** System calls made to start requests: each socket try, each file request, each socket control call. */
    long systemCalls() {
        return systemCalls;
    }

    long fastPathCompletions() {
        return fastPathCompletions;
    }

    /** Drops every timer and chain, for the ring's close (its requests are abandoned). */
    void abandon() {
        for (int slot = 0; slot < table.capacity(); slot++) {
            timers.remove(slot);
        }
        chains.clear();
        readiness.clear();
        calls.free();
    }

    void start(int slot) {
        table.start(slot);
        IoRequest r = table.request[slot];
        byte op = table.opcode[slot];
        if ((r.flags() & IoRequest.FLAG_FIXED_FILE) != 0) {
            complete(slot, -Errno.EINVAL); // epoll has no registered files
            return;
        }
        switch (op) {
            case Op.NOP -> complete(slot, 0);
            case Op.TIMEOUT -> {
                if (r.offset() < 0) {
                    complete(slot, -Errno.EINVAL);
                } else {
                    arm(slot, r.offset());
                }
            }
            case Op.LINK_TIMEOUT -> complete(slot, -Errno.EINVAL); // the chains take those after a linked request
            case Op.ASYNC_CANCEL -> complete(slot, cancel(table.cancelTargetOf(slot)));
            case Op.READ, Op.WRITE, Op.RECV, Op.SEND, Op.ACCEPT, Op.CONNECT, Op.SHUTDOWN, Op.FSYNC, Op.POLL_ADD ->
                    startIo(slot, op, r);
            case Op.OPENAT, Op.CLOSE, Op.STATX, Op.FTRUNCATE, Op.SOCKET -> {
                madeSystemCall = true;
                systemCalls++;
                complete(slot, descriptorCall(op, r));
            }
            default -> complete(slot, -Errno.EINVAL);
        }
    }

    /**
     * OPENAT, CLOSE, STATX, FTRUNCATE and SOCKET: the backend's synchronous call, made here at
     * submission on the ring owner's thread (epoll has no asynchronous open or close), so a slow
     * file system holds the carrier's thread until the runtime's hand-off gives the carrier to a
     * spare. The request then completes at once.
     */
    private int descriptorCall(byte op, IoRequest r) {
        return switch (op) {
            case Op.OPENAT -> {
                String path = NioCalls.path(r);
                yield path == null ? -Errno.EFAULT : backend.open(path, r.opFlags(), (int) r.offset());
            }
            case Op.CLOSE -> backend.close(r.fd());
            case Op.STATX -> {
                long size = backend.size(r.fd());
                if (size < 0) {
                    yield (int) size;
                }
                r.size(size);
                yield 0;
            }
            case Op.FTRUNCATE -> backend.truncate(r.fd(), r.offset());
            default -> backend.socket();
        };
    }

    private void arm(int slot, long delayNanos) {
        table.time(slot);
        timers.add(slot, System.nanoTime() + Math.min(delayNanos, TimerHeap.MAX_DELAY_NANOS));
    }

    private void startIo(int slot, byte op, IoRequest r) {
        FdEntry entry = fds.get(r.fd());
        if (entry == null) {
            complete(slot, -Errno.EBADF);
            return;
        }
        if (op == Op.READ || op == Op.WRITE || op == Op.RECV || op == Op.SEND) {
            int bad = NioCalls.checkRegion(op, r);
            if (bad < 0) {
                complete(slot, bad);
                return;
            }
        }
        Channel channel = entry.channel();
        if (channel instanceof FileChannel file) {
            madeSystemCall = true;
            systemCalls++;
            complete(slot, calls.file(op, file, entry, r));
            return;
        }
        if (op == Op.SHUTDOWN || op == Op.FSYNC) {
            madeSystemCall = true;
            systemCalls++;
            complete(slot, NioCalls.socketControl(op, channel, r.opFlags()));
            return;
        }
        if (op == Op.POLL_ADD) {
            int events = r.opFlags() & (POLLIN | POLLOUT);
            if (events == 0) {
                complete(slot, -Errno.EINVAL);
            } else if (entry.isUnconnectedSocket()) {
                complete(slot, (events & POLLOUT) | POLLHUP); // what poll(2) says of a fresh socket
            } else {
                readiness.park(slot, entry, false);
            }
            return;
        }
        boolean tried = false;
        if (!readiness.mustQueue(entry, ReadinessWaits.sideOf(op))) { // else: behind parked ones, in order
            madeSystemCall = true;
            systemCalls++;
            int res = calls.attempt(op, entry, r, false);
            if (res != WOULD_BLOCK) {
                fastPathCompletions++;
                complete(slot, res);
                return;
            }
            tried = true;
        }
        if (op == Op.SEND && (r.opFlags() & IoRequest.SEND_DONTWAIT) != 0) {
            complete(slot, -Errno.EAGAIN); // a full socket, or sends parked before it that must go first
            return;
        }
        readiness.park(slot, entry, tried);
    }

    /** Completes {@code slot} (taken off whatever it waited in); a chain member's chain moves on at {@link #runLinks}. Owner only. */
    void complete(int slot, int res) {
        table.finish(slot, res);
        int link = table.link[slot];
        if (link >= 0) {
            table.link[slot] = -1;
            chains.noteCompleted(link, res, 0);
        }
    }

    /** Starts or cancels the successors of the chain members completed since the last call. */
    void runLinks() {
        if (chains.hasCompleted()) {
            chains.runCompleted(System.nanoTime());
        }
    }

    void expireTimers(long now) {
        int slot;
        while ((slot = timers.pollDue(now)) >= 0) {
            complete(slot, -Errno.ETIME);
        }
        runLinks(); // before the link timeouts: a target completed just now disarms its own
        if (chains.hasArmed()) {
            chains.expire(now);
            runLinks();
        }
    }

    /** ASYNC_CANCEL of the request in {@code slot} (-1: none pending): 0 when it was cancelled, else -ENOENT. */
    private int cancel(int slot) {
        return slot >= 0 && cancelPending(slot) ? 0 : -Errno.ENOENT;
    }

    /** Completes a request PARKED on an fd or TIMED with -ECANCELED; false when it is neither. */
    private boolean cancelPending(int slot) {
        if (table.state[slot] == TIMED) {
            timers.remove(slot);
        } else if (table.state[slot] == PARKED) {
            readiness.unpark(slot);
        } else {
            return false;
        }
        complete(slot, -Errno.ECANCELED);
        return true;
    }

    /** The ring as {@link LinkChains} sees it: a chain member starts as any request; epoll has no latency, so due times are 0. */
    private final class Links implements LinkHost {
        @Override
        public int startLinked(IoRequest request, long now, long notBefore) {
            int slot = table.slotOf(request.ringToken());
            lastStarted = slot;
            start(slot);
            return table.state[slot] == DONE ? table.result[slot] : WAITING;
        }

        @Override
        public long lastDue() {
            return 0;
        }

        @Override
        public int linkWaiting(int link) {
            table.link[lastStarted] = link;
            return lastStarted;
        }

        @Override
        public boolean cancelWaiting(int handle) {
            return cancelPending(handle);
        }

        @Override
        public void pushCompletion(long due, long token, int result, byte opcode) {
            table.finish(table.slotOf(token), result);
        }

        @Override
        public void held(long token) {
            table.hold(table.slotOf(token));
        }
    }
}
