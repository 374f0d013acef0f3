/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.concurrency;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static dev.fibril.concurrency.Interleavings.check;
import static dev.fibril.concurrency.Interleavings.expectForbidden;
import static dev.fibril.concurrency.Interleavings.inParallel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker itself can fail: two threads that each add one to a counter with a read and a
 * write lose an update in some interleaving, and it must find one; with a CAS loop it must not.
 */
class CheckerSelfTest {
    static final class Counter {
        volatile int value;
        final AtomicInteger atomic = new AtomicInteger();

        void brokenIncrement() {
            int v = value;
            value = v + 1;
        }
    }

    private static void twoIncrements(boolean broken) {
        Counter c = new Counter();
        if (broken) {
            inParallel(c, Counter::brokenIncrement, Counter::brokenIncrement);
            assertEquals(2, c.value, "LOST UPDATE: one thread's increment was overwritten");
        } else {
            inParallel(c, x -> x.atomic.incrementAndGet(), x -> x.atomic.incrementAndGet());
            assertEquals(2, c.atomic.get(), "LOST UPDATE: one thread's increment was overwritten");
        }
    }

    @Test
    void shouldFindTheLostUpdateOfAReadThenWriteCounter() {
        String report = expectForbidden("LOST UPDATE", () -> twoIncrements(true));
        assertTrue(report.contains("brokenIncrement"), "the report shows the interleaving:\n" + report);
    }

    @Test
    void shouldFindNoLostUpdateOfAnAtomicCounter() {
        check(() -> twoIncrements(false));
    }
}
