/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.util.Arrays;

/**
 * Ring-side state of every request between enqueue and reap, in parallel arrays indexed by a
 * slot, plus the queue of completed slots that {@link EpollRing#reap} drains in completion order.
 *
 * <pre>
 *  FREE   -> QUEUED  enqueued, starts at the next flush
 *  QUEUED -> HELD    held by the link chains: behind a FLAG_LINK request, or a LINK_TIMEOUT
 *  QUEUED -> PARKED  started, would block: waits in its fd's list for selector readiness
 *  QUEUED -> TIMED   a TIMEOUT started: waits in the timer heap
 *  HELD   -> QUEUED  its predecessor succeeded: the chains start it
 *  any    -> DONE    completed: result set, slot in the done queue; HELD -> DONE is a broken chain
 *  DONE   -> FREE    reaped; the generation moves on
 * </pre>
 *
 * Identity: a slot's token is {@code generation << 32 | slot}, stored as the request's
 * {@link IoRequest#ringToken()} at enqueue. An ASYNC_CANCEL keeps its target's token from its own
 * enqueue, and finds the target's slot from it at start with one generation check
 * ({@link #cancelTargetOf}), so a target that completed meanwhile is not cancelled, even if its slot
 * or the request object was taken again.
 *
 * Links: the chains ({@link dev.fibril.syscall.link.LinkChains}) hold linked requests and link
 * timeouts themselves; {@code link} is the chain slot of a started chain member, whose completion
 * the chains must hear of. A request parked on an fd is in that fd's FIFO through {@code waitNext}.
 *
 * <p>Owner thread only. Grows (allocating) when every slot is taken; steady state allocates nothing.
 */
final class RequestTable {
    static final byte FREE = 0;
    static final byte QUEUED = 1;
    static final byte HELD = 2;
    static final byte PARKED = 3;
    static final byte TIMED = 4;
    static final byte DONE = 5;
    private static final int INITIAL_SLOTS = 256;

    IoRequest[] request = new IoRequest[0];
    private int[] generation = new int[0];
    /** ASYNC_CANCEL: the target's token when the cancel was enqueued. */
    private long[] cancelToken = new long[0];
    byte[] opcode = new byte[0];
    byte[] state = new byte[0];
    int[] result = new int[0];
    /** The chain slot of a started chain member, or -1. */
    int[] link = new int[0];
    int[] waitNext = new int[0];
    /** The fd state a PARKED request waits in; null otherwise. */
    FdWaiters[] waitingOn = new FdWaiters[0];
    private int[] free = new int[0];
    private int freeTop;
    private int[] done = new int[0];
    private int doneHead;
    private int doneTail;
    /** Slots in state PARKED: whether a select can complete anything. */
    private int parked;

    RequestTable() {
        grow();
    }

    int capacity() {
        return state.length;
    }

    /** Requests enqueued and not yet reaped. */
    int live() {
        return state.length - freeTop;
    }

    /** Takes a free slot for {@code r}, in state {@code initial}, and stamps r's ring token with it. */
    int acquire(IoRequest r, byte initial) {
        if (freeTop == 0) {
            grow();
        }
        int slot = free[--freeTop];
        request[slot] = r;
        opcode[slot] = r.opcode();
        state[slot] = initial;
        r.ringToken(token(slot));
        if (r.opcode() == Op.ASYNC_CANCEL && r.cancelTarget() != null) {
            cancelToken[slot] = r.cancelTarget().ringToken(); // now: a later submission of it is not this cancel's
        }
        return slot;
    }

    private long token(int slot) {
        return (long) generation[slot] << 32 | slot;
    }

    /** The slot of the request in flight whose ring token is {@code token}, or -1. */
    int slotOf(long token) {
        int slot = (int) token;
        return slot >= 0 && slot < state.length && state[slot] != FREE && generation[slot] == (int) (token >>> 32) ? slot : -1;
    }

    /** QUEUED -> HELD: the chains hold it. */
    void hold(int slot) {
        state[slot] = HELD;
    }

    /** HELD or QUEUED -> QUEUED: about to run (a chain successor whose predecessor succeeded). */
    void start(int slot) {
        state[slot] = QUEUED;
    }

    /** QUEUED -> TIMED: a TIMEOUT, or a LINK_TIMEOUT armed; the caller adds it to the timer heap. */
    void time(int slot) {
        state[slot] = TIMED;
    }

    /** Requests parked on an fd, waiting for the selector. */
    int parked() {
        return parked;
    }

    /** QUEUED -> PARKED; the caller appends it to its fd's FIFO. */
    void park(int slot) {
        state[slot] = PARKED;
        parked++;
    }

    /** Sets the result and queues the slot for reaping; the caller has taken it off every list. */
    void finish(int slot, int res) {
        if (state[slot] == PARKED) {
            parked--;
        }
        state[slot] = DONE;
        result[slot] = res;
        waitingOn[slot] = null;
        done[doneTail++ & (done.length - 1)] = slot;
    }

    boolean hasDone() {
        return doneHead != doneTail;
    }

    /** The oldest DONE slot; call only when {@link #hasDone}. */
    int pollDone() {
        return done[doneHead++ & (done.length - 1)];
    }

    /**
     * For the ASYNC_CANCEL in {@code cancelSlot}: the slot of its target if that is started and
     * pending (PARKED or TIMED) in the submission it had when the cancel was enqueued, else -1.
     */
    int cancelTargetOf(int cancelSlot) {
        IoRequest target = request[cancelSlot].cancelTarget();
        long token = cancelToken[cancelSlot];
        int slot = (int) token;
        if (target == null || slot < 0 || slot >= state.length || generation[slot] != (int) (token >>> 32)
                || request[slot] != target) {
            return -1;
        }
        return state[slot] == PARKED || state[slot] == TIMED ? slot : -1;
    }

    /** Frees the slot and drops its references to the caller's objects. */
    void release(int slot) {
        if (state[slot] == PARKED) {
            parked--;
        }
        state[slot] = FREE;
        request[slot] = null;
        generation[slot] = (generation[slot] + 1) & 0x7fff_ffff;
        cancelToken[slot] = -1;
        waitingOn[slot] = null;
        link[slot] = -1;
        waitNext[slot] = -1;
        free[freeTop++] = slot;
    }

    private void grow() {
        int old = state.length;
        int size = old == 0 ? INITIAL_SLOTS : old * 2;
        request = Arrays.copyOf(request, size);
        generation = Arrays.copyOf(generation, size);
        cancelToken = Arrays.copyOf(cancelToken, size);
        opcode = Arrays.copyOf(opcode, size);
        state = Arrays.copyOf(state, size);
        result = Arrays.copyOf(result, size);
        link = grown(link, size);
        waitNext = grown(waitNext, size);
        waitingOn = Arrays.copyOf(waitingOn, size);
        int[] newFree = new int[size];
        System.arraycopy(free, 0, newFree, 0, freeTop);
        for (int slot = size - 1; slot >= old; slot--) {
            newFree[freeTop++] = slot;
        }
        free = newFree;
        int[] newDone = new int[size]; // size stays a power of two
        int n = 0;
        while (hasDone()) {
            newDone[n++] = pollDone();
        }
        done = newDone;
        doneHead = 0;
        doneTail = n;
    }

    private static int[] grown(int[] links, int size) {
        int old = links.length;
        int[] bigger = Arrays.copyOf(links, size);
        Arrays.fill(bigger, old, size, -1);
        return bigger;
    }
}
