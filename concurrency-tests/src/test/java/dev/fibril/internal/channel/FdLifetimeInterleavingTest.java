/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static dev.fibril.concurrency.Interleavings.check;
import static dev.fibril.concurrency.Interleavings.expectForbidden;
import static dev.fibril.concurrency.Interleavings.inParallel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A channel's fd lifetime, the real {@link FdLifetime} that {@link FdHandle} counts its calls with:
 * two calls of the channel (each counts in, uses the fd, counts out) race its close. Whoever the
 * lifetime names closes the fd; the close of a handle with calls in only cancels them.
 *
 * <p>Outcomes: a call refused because the close came first (allowed); the fd closed by the close or
 * by the last call out (allowed). Forbidden: the fd closed while a call uses it (CLOSED WHILE IN
 * USE: its number may already name another file), closed twice (CLOSED TWICE: the second close may
 * close someone else's fd), never closed (FD LEAKED).
 */
class FdLifetimeInterleavingTest {
    /** The lifetime's three transitions; the broken twin replaces them. */
    interface Lifetime {
        boolean enter();

        boolean leave();

        int close();
    }

    static Lifetime real() {
        FdLifetime l = new FdLifetime();
        return new Lifetime() {
            @Override
            public boolean enter() {
                return l.enter();
            }

            @Override
            public boolean leave() {
                return l.leave();
            }

            @Override
            public int close() {
                return l.close();
            }
        };
    }

    /**
     * The broken twin: the real encoding (bit 31 closed, the rest the calls in), but close sets the
     * bit and looks at the count in a second read, so a call that leaves between the two sees itself
     * last out of a closed handle and closes the fd, and so does the close.
     */
    static Lifetime lookingTwice() {
        int closedBit = 1 << 31;
        AtomicInteger state = new AtomicInteger();
        return new Lifetime() {
            @Override
            public boolean enter() {
                int s;
                do {
                    s = state.get();
                    if ((s & closedBit) != 0) {
                        return false;
                    }
                } while (!state.compareAndSet(s, s + 1));
                return true;
            }

            @Override
            public boolean leave() {
                return state.decrementAndGet() == closedBit;
            }

            @Override
            public int close() {
                if ((state.getAndUpdate(s -> s | closedBit) & closedBit) != 0) {
                    return FdLifetime.ALREADY_CLOSED;
                }
                return state.get() == closedBit ? FdLifetime.CLOSE_NOW : FdLifetime.CANCEL_CALLS;
            }
        };
    }

    static final class Scenario {
        final Lifetime lifetime;
        final AtomicInteger inUse = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();
        volatile boolean closedWhileInUse;

        Scenario(Lifetime lifetime) {
            this.lifetime = lifetime;
        }

        void call() {
            if (!lifetime.enter()) {
                return; // ClosedChannelException
            }
            inUse.incrementAndGet();
            inUse.decrementAndGet(); // the request that named the fd has ended
            if (lifetime.leave()) {
                closeFd();
            }
        }

        void close() {
            if (lifetime.close() == FdLifetime.CLOSE_NOW) {
                closeFd();
            } // CANCEL_CALLS: the calls' requests are cancelled, the last one out closes
        }

        private void closeFd() {
            if (inUse.get() != 0) {
                closedWhileInUse = true;
            }
            closes.incrementAndGet();
        }
    }

    private static void twoCallsAndAClose(Lifetime lifetime) {
        Scenario s = new Scenario(lifetime);
        inParallel(s, Scenario::call, Scenario::call, Scenario::close);
        assertFalse(s.closedWhileInUse, "CLOSED WHILE IN USE: the fd was closed while a call's request named it");
        if (s.closes.get() > 1) {
            throw new AssertionError("CLOSED TWICE: the fd was closed " + s.closes.get() + " times");
        }
        assertEquals(1, s.closes.get(), "FD LEAKED: nobody closed the fd");
    }

    @Test
    void shouldCloseTheFdExactlyOnceAndNeverUnderACall() {
        check(() -> twoCallsAndAClose(real()));
    }

    @Test
    void shouldShowTheDoubleCloseWhenTheCloseLooksAtTheCountInASecondRead() {
        expectForbidden("CLOSED TWICE", () -> twoCallsAndAClose(lookingTwice()));
    }
}
