/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The counting half of {@link FdHandle}: which calls are in, whether close was asked for, and who
 * must close the fd. One int, bit 31 = closed, the rest = calls in progress.
 * <pre>
 *  open, n calls  -> open, n+1     {@link #enter}: a call counts in (CAS), unless closed
 *  open, n+1      -> open, n       {@link #leave}
 *  open, 0        -> closed        {@link #close} answers {@link #CLOSE_NOW}
 *  open, n > 0    -> closing, n    {@link #close} answers {@link #CANCEL_CALLS}
 *  closing, 1     -> closed        the last call's {@link #leave} answers true: it closes the fd
 * </pre>
 * Whoever brings the count to zero with the bit set closes the fd, exactly once, and never while
 * a call is in. Any thread; lock-free. Kept apart from the fd's actions so that the protocol can be
 * checked on its own (concurrency-tests, {@code FdLifetimeInterleavingTest}).
 */
final class FdLifetime {
    /** {@link #close} was asked for before: nothing to do. */
    static final int ALREADY_CLOSED = 0;
    /** No call was in: the caller of {@link #close} closes the fd now. */
    static final int CLOSE_NOW = 1;
    /** Calls are in: the caller cancels them, and the last one out closes the fd. */
    static final int CANCEL_CALLS = 2;

    private static final int CLOSED = 1 << 31;

    private final AtomicInteger state = new AtomicInteger();

    boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** Counts a call in; false (and nothing counted) once closed. */
    boolean enter() {
        int s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
        } while (!state.compareAndSet(s, s + 1));
        return true;
    }

    /** Counts a call out; true if it was the last one out of a closed handle, which must close the fd. */
    boolean leave() {
        return state.decrementAndGet() == CLOSED;
    }

    /** Sets the close bit: {@link #ALREADY_CLOSED}, {@link #CLOSE_NOW} or {@link #CANCEL_CALLS}. */
    int close() {
        int s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                return ALREADY_CLOSED;
            }
        } while (!state.compareAndSet(s, s | CLOSED));
        return s == 0 ? CLOSE_NOW : CANCEL_CALLS;
    }
}
