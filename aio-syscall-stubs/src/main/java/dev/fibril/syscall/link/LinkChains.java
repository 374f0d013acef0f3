/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.link;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.util.Arrays;

/**
 * The linked requests of one emulated ring (epoll, simulated): {@link IoRequest#FLAG_LINK} chains
 * and LINK_TIMEOUTs, run as io_uring runs them, written once for every ring that is not io_uring
 * (the backend contract suite checks both against the kernel's own).
 *
 * <p>Chains: a request with FLAG_LINK makes the next request of the same flush wait for it; the
 * next one starts only when it has succeeded ({@code res >= 0}, and the whole length for a READ or
 * WRITE: a short RECV or SEND, without MSG_WAITALL, is a success); otherwise the rest of the chain
 * completes with {@code -ECANCELED}. A chain ends with its flush. A TIMEOUT "fails" with
 * {@code -ETIME}, so it breaks its chain. A successor starts when its predecessor's op has run (at
 * once for an op that completes when it starts, when it completes for one that waited); its
 * completion is never due before its predecessor's, so a chain's completions are delivered in chain
 * order whatever the ring's latency.
 *
 * <p>LINK_TIMEOUT: right after a linked request (its target), it is armed when the target starts
 * and waits, with its {@code offset()} nanoseconds on the ring's clock. If the target is still
 * waiting at the deadline, the target is cancelled ({@code -ECANCELED}, which breaks its chain) and
 * the timeout completes with {@code -ETIME}. If the target ran first, the timeout completes with
 * {@code -ECANCELED}. A negative timeout completes with {@code -EINVAL} and its target runs without
 * one. As in io_uring, an ASYNC_CANCEL finds neither a link timeout nor a member held behind its
 * predecessor ({@code -ENOENT}, see {@link LinkHost#held}): both end with their target, or their
 * chain, which is what a caller cancels.
 *
 * <p>Threads: the owner of the ring only. State per slot (a chain member or a link timeout), in
 * parallel arrays that grow and are reused, so steady state allocates nothing:
 * <pre>
 *  FREE     -> HELD      enqueued behind a request still running
 *  FREE     -> WAITING   started as a chain's head, waits (the ring ties it to the slot)
 *  HELD     -> WAITING   its predecessor succeeded; started and waits
 *  HELD     -> FREE      started and ran at once, or completed -ECANCELED (predecessor failed)
 *  WAITING  -> FREE      its op completed ({@link #noteCompleted}, then {@link #runCompleted})
 *  FREE     -> ARMED     a LINK_TIMEOUT behind a WAITING request: in the timer heap
 *  FREE     -> ATTACHED  a LINK_TIMEOUT behind a HELD request; armed if the target waits once started
 *  ARMED    -> FIRED     the deadline passed with the target waiting: target cancelled, -ETIME delivered
 *  ARMED, ATTACHED -> FREE  the target ran first: -ECANCELED delivered
 *  FIRED    -> FREE      the target's cancellation came back
 * </pre>
 */
public final class LinkChains {
    public static final int NONE = -1;

    private static final byte FREE = 0;
    private static final byte HELD = 1;
    private static final byte WAITING = 2;
    private static final byte ARMED = 3;
    private static final byte ATTACHED = 4;
    private static final byte FIRED = 5;

    // What the request last enqueued in this flush left for the next one.
    private static final int TAIL_NONE = 0;
    private static final int TAIL_OK = 1;
    private static final int TAIL_FAILED = 2;
    private static final int TAIL_PENDING = 3;

    private final LinkHost ring;
    private final TimerHeap timers = new TimerHeap();

    private byte[] state = new byte[0];
    /** HELD: the request to start; null otherwise. */
    private IoRequest[] held = new IoRequest[0];
    /** WAITING: the ring's handle of its op. */
    private int[] waitingHandle = new int[0];
    /** Members: the next member, or NONE. */
    private int[] next = new int[0];
    /** Members: the slot of its link timeout, or NONE. Timeouts: their target. */
    private int[] partner = new int[0];
    /** Members: the requested length; timeouts: unused. */
    private int[] length = new int[0];
    private byte[] opcode = new byte[0];
    private long[] token = new long[0]; // the request's (see RequestSlots), or -1
    /** ATTACHED: the delay, from the target's start (ARMED: the deadline is in {@link #timers}). */
    private long[] time = new long[0];
    private int[] free = new int[0];
    private int freeCount;

    private int tailKind = TAIL_NONE;
    private int tailSlot = NONE;
    private long tailDue;
    private boolean tailTakesTimeout;
    /** What the last {@link #startNew} that ran at once gave: success in full, and its completion's due time. */
    private boolean ranOk;
    private long ranDue;

    /** Members whose op completed, noted by the ring's drain and run by {@link #runCompleted}. */
    private final CompletedMembers done = new CompletedMembers();
    private boolean runningCompleted;

    public LinkChains(LinkHost ring) {
        this.ring = ring;
        grow(16);
    }

    // ---------------------------------------------------------------- flush time

    /**
     * Takes care of {@code r} if it follows a FLAG_LINK request of this flush (starts it, holds it
     * or cancels it; attaches a LINK_TIMEOUT to its target); false when it follows none.
     */
    public boolean follows(IoRequest r, long now) {
        if (tailKind == TAIL_NONE) {
            return false;
        }
        boolean linked = (r.flags() & IoRequest.FLAG_LINK) != 0;
        if (r.opcode() == Op.LINK_TIMEOUT && tailTakesTimeout) {
            tailTakesTimeout = false;
            attachTimeout(r, now);
        } else {
            tailTakesTimeout = r.opcode() != Op.LINK_TIMEOUT;
            switch (tailKind) {
                case TAIL_OK -> setTail(startNew(r, now, tailDue));
                case TAIL_FAILED -> ring.pushCompletion(Math.max(now, tailDue), r.ringToken(), -Errno.ECANCELED, r.opcode());
                default -> { // TAIL_PENDING: waits behind the tail
                    int s = take(HELD, r);
                    held[s] = r;
                    opcode[s] = r.opcode();
                    next[tailSlot] = s;
                    tailSlot = s;
                }
            }
        }
        if (!linked) {
            tailKind = TAIL_NONE;
        }
        return true;
    }

    /** Starts {@code r}, which carries FLAG_LINK and follows nothing: the head of a new chain. */
    public void head(IoRequest r, long now) {
        tailTakesTimeout = r.opcode() != Op.LINK_TIMEOUT;
        setTail(startNew(r, now, Long.MIN_VALUE));
    }

    /** Whether the request enqueued last in this flush carried FLAG_LINK: the next one follows it. */
    public boolean chainOpen() {
        return tailKind != TAIL_NONE;
    }

    /** Whether completions were noted that {@link #runCompleted} has not run yet. */
    public boolean hasCompleted() {
        return !done.isEmpty();
    }

    /** A chain ends with its flush, as in io_uring. */
    public void endFlush() {
        tailKind = TAIL_NONE;
        tailSlot = NONE;
    }

    private void attachTimeout(IoRequest r, long now) {
        if (r.offset() < 0) {
            ring.pushCompletion(now, r.ringToken(), -Errno.EINVAL, Op.LINK_TIMEOUT);
            return;
        }
        if (tailKind != TAIL_PENDING) { // the target has run already
            ring.pushCompletion(Math.max(now, tailDue), r.ringToken(), -Errno.ECANCELED, Op.LINK_TIMEOUT);
            return;
        }
        boolean started = state[tailSlot] == WAITING;
        int t = take(started ? ARMED : ATTACHED, r);
        opcode[t] = Op.LINK_TIMEOUT;
        time[t] = r.offset();
        partner[t] = tailSlot;
        partner[tailSlot] = t;
        if (started) {
            arm(t, now);
        }
    }

    /** Starts {@code r} now; the slot it waits in, or NONE when it ran at once ({@link #ranOk}, {@link #ranDue}). */
    private int startNew(IoRequest r, long now, long notBefore) {
        int res = ring.startLinked(r, now, notBefore);
        if (res != LinkHost.WAITING) {
            ranOk = succeededInFull(r.opcode(), r.length(), res);
            ranDue = ring.lastDue();
            return NONE;
        }
        int s = take(WAITING, r);
        becomeWaiting(s, r);
        return s;
    }

    private void becomeWaiting(int s, IoRequest r) {
        state[s] = WAITING;
        held[s] = null;
        waitingHandle[s] = ring.linkWaiting(s);
        opcode[s] = r.opcode();
        length[s] = r.length();
    }

    private void setTail(int waitingSlot) {
        if (waitingSlot != NONE) {
            tailKind = TAIL_PENDING;
            tailSlot = waitingSlot;
        } else {
            tailKind = ranOk ? TAIL_OK : TAIL_FAILED;
            tailDue = ranDue;
            tailSlot = NONE;
        }
    }

    // ---------------------------------------------------------------- completions of waiting members

    /** The ring drained the completion of a waiting member in {@code slot}; {@link #runCompleted} moves its chain on. */
    public void noteCompleted(int slot, int result, long due) {
        done.add(slot, result, due);
    }

    /**
     * Moves on the chains of the members noted since the last call: disarms their timeouts,
     * starts or cancels their successors. Not reentrant: a successor that runs an ASYNC_CANCEL
     * makes the ring drain again, and what that notes is run by this same loop.
     */
    public void runCompleted(long now) {
        if (runningCompleted) {
            return;
        }
        runningCompleted = true;
        try {
            while (!done.isEmpty()) {
                int at = done.take();
                memberRan(done.slot(at), done.result(at), done.due(at), now);
            }
        } finally {
            runningCompleted = false;
            done.rewindIfEmpty();
        }
    }

    private void memberRan(int s, int result, long due, long now) {
        int t = partner[s];
        if (t != NONE) {
            endTimeout(t, due);
        }
        boolean ok = succeededInFull(opcode[s], length[s], result);
        int after = next[s];
        release(s);
        proceed(after, ok, due, now);
    }

    /** Starts held members from {@code s} on while each runs at once and succeeds; cancels them all once one fails. */
    private void proceed(int s, boolean ok, long floor, long now) {
        while (s != NONE) {
            int after = next[s];
            int t = partner[s];
            IoRequest r = held[s];
            if (!ok) {
                ring.pushCompletion(Math.max(now, floor), token[s], -Errno.ECANCELED, opcode[s]);
                if (t != NONE) {
                    ring.pushCompletion(Math.max(now, floor), token[t], -Errno.ECANCELED, Op.LINK_TIMEOUT);
                    release(t);
                }
                release(s);
                ok = false;
                s = after;
                continue;
            }
            int res = ring.startLinked(r, now, floor);
            if (res == LinkHost.WAITING) {
                becomeWaiting(s, r);
                if (t != NONE) {
                    state[t] = ARMED;
                    arm(t, now);
                }
                return; // the rest stays held behind it
            }
            floor = ring.lastDue();
            if (t != NONE) {
                ring.pushCompletion(floor, token[t], -Errno.ECANCELED, Op.LINK_TIMEOUT);
                release(t);
            }
            ok = succeededInFull(opcode[s], r.length(), res);
            release(s);
            s = after;
        }
    }

    /** The target of timeout {@code t} ended: an armed or attached timeout completes -ECANCELED; a fired one is done. */
    private void endTimeout(int t, long due) {
        if (state[t] != FIRED) {
            ring.pushCompletion(due, token[t], -Errno.ECANCELED, Op.LINK_TIMEOUT);
        }
        release(t);
    }

    // ---------------------------------------------------------------- timers

    private void arm(int t, long now) {
        timers.add(t, now + Math.min(time[t], TimerHeap.MAX_DELAY_NANOS));
    }

    /** Whether a link timeout is armed: only then can {@link #expire} do anything. */
    public boolean hasArmed() {
        return timers.size() > 0;
    }

    /** The earliest armed deadline; call only when {@link #hasArmed}. */
    public long earliestDeadline() {
        return timers.firstDeadline();
    }

    /**
     * Fires the link timeouts whose deadline has passed while their target still waits: the target
     * is cancelled through the ring, whose completion then comes back through {@link #noteCompleted},
     * and the timeout completes with -ETIME. A target that completed meanwhile (not yet noted) keeps
     * its result, and its note disarms the timeout.
     */
    public void expire(long now) {
        int t;
        while ((t = timers.pollDue(now)) >= 0) {
            if (ring.cancelWaiting(waitingHandle[partner[t]])) {
                state[t] = FIRED;
                ring.pushCompletion(now, token[t], -Errno.ETIME, Op.LINK_TIMEOUT);
            } else {
                state[t] = ATTACHED; // its target's completion, on its way, ends it
            }
        }
    }

    /** Forgets everything: the ring is closing and abandons what is in flight. */
    public void clear() {
        for (int s = 0; s < state.length; s++) {
            if (state[s] != FREE) {
                release(s);
            }
        }
        done.clear();
        endFlush();
    }

    public static boolean succeededInFull(byte op, int length, int result) {
        if (result < 0) {
            return false;
        }
        return switch (op) {
            case Op.READ, Op.WRITE -> result >= length;
            default -> true;
        };
    }

    // ---------------------------------------------------------------- slots

    /** A slot for request {@code r} in state {@code initial}; one not WAITING is held, out of an ASYNC_CANCEL's reach. */
    private int take(byte initial, IoRequest r) {
        if (freeCount == 0) {
            grow(state.length * 2);
        }
        int s = free[--freeCount];
        state[s] = initial;
        token[s] = r.ringToken();
        if (initial != WAITING) {
            ring.held(token[s]);
        }
        return s;
    }

    private void release(int s) {
        if (state[s] == ARMED) {
            timers.remove(s);
        }
        state[s] = FREE;
        held[s] = null;
        waitingHandle[s] = -1;
        next[s] = NONE;
        partner[s] = NONE;
        token[s] = -1;
        free[freeCount++] = s;
    }

    private void grow(int size) {
        int old = state.length;
        state = Arrays.copyOf(state, size);
        held = Arrays.copyOf(held, size);
        waitingHandle = Arrays.copyOf(waitingHandle, size);
        next = Arrays.copyOf(next, size);
        partner = Arrays.copyOf(partner, size);
        length = Arrays.copyOf(length, size);
        opcode = Arrays.copyOf(opcode, size);
        token = Arrays.copyOf(token, size);
        time = Arrays.copyOf(time, size);
        Arrays.fill(next, old, size, NONE);
        Arrays.fill(partner, old, size, NONE);
        free = Arrays.copyOf(free, size);
        for (int s = size - 1; s >= old; s--) {
            free[freeCount++] = s;
        }
    }
}
