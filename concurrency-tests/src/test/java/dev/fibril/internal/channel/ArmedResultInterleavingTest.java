/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.internal.scheduler.CloseSignal;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.fibril.concurrency.Interleavings.check;
import static dev.fibril.concurrency.Interleavings.expectForbidden;
import static dev.fibril.concurrency.Interleavings.inParallel;

/**
 * An armed receive's result, the real {@link ArmedResult} of {@link ArmedReceive}, against the
 * channel's close: the completion picks a buffer, moves to DONE and hands over the task, whose
 * receive takes the result unless the channel is closed by then (its call is refused); the close
 * marks the channel closed and reclaims the result, giving the buffer back.
 *
 * <p>Allowed: the task takes the buffer (and releases it later), or the close or the completion
 * gives it back. Forbidden: nobody has it (BUFFER LOST: the carrier's ring has one buffer fewer
 * for good), or two parties have it (BUFFER TWICE: given back while a receive lends it).
 */
class ArmedResultInterleavingTest {
    /** The two transitions the completion makes; the broken twin replaces them. */
    interface Completion {
        /** Moves to DONE; true if the caller gives the buffer back itself. */
        boolean complete(ArmedResult r, CloseSignal channel);
    }

    static final Completion REAL = ArmedResult::complete;

    /** The broken twin: the completion never looks at the close after DONE. */
    static final Completion NOT_LOOKING = (r, channel) -> {
        r.complete(() -> false);
        return false;
    };

    static final class Scenario {
        final ArmedResult result = new ArmedResult();
        final AtomicBoolean closed = new AtomicBoolean();
        final CloseSignal channel = closed::get;
        final AtomicInteger holders = new AtomicInteger();
        final Completion completion;

        Scenario(Completion completion) {
            this.completion = completion;
            if (!result.arm()) {
                throw new AssertionError("a fresh result arms");
            }
        }

        /** The carrier's completion, then the task it hands over (a happens-before edge: one thread here). */
        void completeThenRunTheTask() {
            if (completion.complete(result, channel)) {
                holders.incrementAndGet(); // given back by the completion
            }
            if (!closed.get() && result.take()) { // a closed channel refuses the task's receive
                holders.incrementAndGet();
            }
        }

        void close() {
            closed.set(true);
            if (result.reclaim()) {
                holders.incrementAndGet(); // given back by the close
            }
        }
    }

    private static void completionRacingAClose(Completion completion) {
        Scenario s = new Scenario(completion);
        inParallel(s, Scenario::completeThenRunTheTask, Scenario::close);
        int holders = s.holders.get();
        if (holders == 0) {
            throw new AssertionError("BUFFER LOST: neither the task nor a give-back has the picked buffer");
        }
        if (holders > 1) {
            throw new AssertionError("BUFFER TWICE: " + holders + " parties have the picked buffer");
        }
    }

    @Test
    void shouldGiveThePickedBufferToExactlyOneParty() {
        check(() -> completionRacingAClose(REAL));
    }

    @Test
    void shouldShowTheLostBufferWhenTheCompletionDoesNotLookAtTheClose() {
        expectForbidden("BUFFER LOST", () -> completionRacingAClose(NOT_LOOKING));
    }
}
