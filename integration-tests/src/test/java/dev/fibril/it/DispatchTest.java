/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.fibril.it.Loopback.inFibril;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FibrilRuntime#dispatch}: from a fibril, tasks run on the carrier's spare fibrils, which are
 * reused (no fibril made per task once warm) and do not count as alive while idle; tasks handed over
 * together run in turn on one spare, but never wait behind one that parks; the close ends idle
 * spares instead of waiting for them.
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
    void shouldRunTasksDispatchedTogetherInTurnOnOneSpare() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").build()) {
            int tasks = 20;
            List<Integer> order = Collections.synchronizedList(new ArrayList<>());
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            CountDownLatch done = new CountDownLatch(tasks);
            inFibril(rt, () -> {
                for (int i = 0; i < tasks; i++) {
                    int n = i;
                    rt.dispatch(() -> {
                        order.add(n);
                        threads.add(Thread.currentThread());
                        done.countDown();
                    });
                }
            });
            assertTrue(done.await(10, TimeUnit.SECONDS), "every task ran");
            assertEquals(IntStream.range(0, tasks).boxed().toList(), order, "in the order they were handed over");
            assertEquals(1, threads.size(), () -> "tasks handed over together ran on " + threads.size() + " spares, not one in turn");
        }
    }

    @Test
    void shouldNotHoldQueuedTasksBehindATaskThatParks() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").build()) {
            // The first task can only return once the second ran: queued behind it on its spare, the
            // second would never run.
            CountDownLatch second = new CountDownLatch(1);
            CountDownLatch both = new CountDownLatch(2);
            inFibril(rt, () -> {
                rt.dispatch(() -> {
                    try {
                        if (second.await(10, TimeUnit.SECONDS)) {
                            both.countDown();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                rt.dispatch(() -> {
                    second.countDown();
                    both.countDown();
                });
            });
            assertTrue(both.await(10, TimeUnit.SECONDS), "the second task ran while the first was parked waiting for it");
        }
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
