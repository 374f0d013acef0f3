/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.fibril.it.Loopback.inFibril;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FibrilRuntime#dispatch}: from a fibril, tasks run on the carrier's spare fibrils, which are
 * reused (no fibril made per task once warm) and do not count as alive while idle; the close ends
 * idle spares instead of waiting for them.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DispatchTest {
    @Test
    void shouldReuseSpareFibrilsForTasksDispatchedFromAFibril() throws Exception {
        // a close that waited for the idle spares would take this minute, past the test's timeout
        FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").closeTimeout(Duration.ofMinutes(1)).build();
        try {
            int tasks = 100;
            AtomicInteger ran = new AtomicInteger();
            long startedBefore = rt.stats().fibrilsStarted();
            inFibril(rt, () -> {
                for (int i = 0; i < tasks; i++) {
                    CountDownLatch done = new CountDownLatch(1);
                    rt.dispatch(() -> {
                        ran.incrementAndGet();
                        done.countDown();
                    });
                    assertTrue(done.await(10, TimeUnit.SECONDS), "the dispatched task ran");
                }
            });
            assertEquals(tasks, ran.get());
            long made = rt.stats().fibrilsStarted() - startedBefore - 1; // less the fibril that dispatched
            assertTrue(made < 10, () -> tasks + " tasks, one after another, made " + made + " fibrils: spares are not reused");
            assertEquals(0, rt.stats().fibrilsAlive(), "an idle spare does not count as alive");
            assertThrows(NullPointerException.class, () -> rt.dispatch(null));
        } finally {
            rt.close();
        }
        assertThrows(RejectedExecutionException.class, () -> rt.dispatch(() -> { }));
    }

    @Test
    void shouldStartANewFibrilForATaskDispatchedFromAnotherThread() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").build()) {
            CountDownLatch ran = new CountDownLatch(1);
            Thread[] on = new Thread[1];
            rt.dispatch(() -> {
                on[0] = Thread.currentThread();
                ran.countDown();
            });
            assertTrue(ran.await(10, TimeUnit.SECONDS));
            assertTrue(on[0].isVirtual(), "the task ran on a fibril");
        }
    }
}
