/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.internal.scheduler.CloseSignal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The state of an armed receive ({@link ArmedReceive}) against the receive that takes its result
 * and the channel's close, as {@link FdLifetime} is the counting half of {@link FdHandle}: the
 * completion may pick a buffer, and exactly one party must end up with it, the receive that takes
 * the result or the close that gives it back; never both, never neither.
 *
 * <pre>
 *  NONE  -> ARMED  arm        the request goes to the ring
 *  ARMED -> NONE   disarm     nothing was submitted after all
 *  ARMED -> DONE   complete   its completion, once; then it looks at the close (see below)
 *  DONE  -> NONE   take       the next receive has the result (and the buffer)
 *  DONE  -> NONE   reclaim    the close has the buffer, to give back
 * </pre>
 *
 * The close marks the channel closed and then reclaims; the completion moves to DONE and then
 * looks at the close, reclaiming itself if it sees it. Of the two looks one sees the other's
 * write, so a result that completes just as the channel closes is given back by one of them (the
 * CAS decides which) while the task that would take it finds the channel closed.
 * {@code ArmedResultInterleavingTest} checks this.
 */
class ArmedResult {
    static final int NONE = 0;
    static final int ARMED = 1;
    static final int DONE = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ArmedResult.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** NONE, ARMED or DONE; a field of the channel's own object, through {@link #STATE} (idle connections' memory counts). */
    private volatile int state;

    final int state() {
        return state;
    }

    /** NONE -> ARMED; false if a receive is armed already or its result was not taken. */
    final boolean arm() {
        return STATE.compareAndSet(this, NONE, ARMED);
    }

    /** ARMED -> NONE: nothing was submitted. */
    final void disarm() {
        state = NONE;
    }

    /**
     * ARMED -> DONE, after the result was written. Returns true when the caller must give the
     * picked buffer back itself: {@code channel} is closed by now, and its close may have looked
     * before DONE.
     */
    final boolean complete(CloseSignal channel) {
        if (!STATE.compareAndSet(this, ARMED, DONE)) {
            throw new IllegalStateException("an armed receive completed while not armed");
        }
        return channel.isClosed() && reclaim();
    }

    /** DONE -> NONE for the receive that takes the result; false if there is none to take. */
    final boolean take() {
        return state == DONE && STATE.compareAndSet(this, DONE, NONE);
    }

    /** DONE -> NONE for the close (or the completion that saw it): true if the caller gives the buffer back. */
    final boolean reclaim() {
        return take();
    }
}
