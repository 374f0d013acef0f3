/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The owner's {@code await} and another thread's {@code wakeup}: a wake-up ends the wait it lands in,
 * or the next one if it comes first, folds with others made before that wait, is no completion, and
 * is never lost. The waker wakes only once the owner sits in its ring's wait, as the kind can tell.
 */
public abstract class WakeupContract extends BackendFixture {
    private static final int ROUNDS = 20_000;

    protected WakeupContract(BackendKind kind) {
        super(kind);
    }

    @Test
    void shouldReturnFromAwaitAfterItsTimeoutWhenNothingHappens() {
        long start = System.nanoTime();
        ring.await(TimeUnit.MILLISECONDS.toNanos(30));
        long elapsed = System.nanoTime() - start;
        assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(29), "returned after " + elapsed + " ns");
        assertEquals(0, driver.reap());
    }

    @Test
    void shouldInterruptABlockedAwaitOnAWakeupFromAnotherThread() throws Exception {
        BooleanSupplier waiting = kind.waitProbe(Thread.currentThread());
        AtomicBoolean armed = new AtomicBoolean();
        AtomicLong wokenAt = new AtomicLong();
        Thread waker = Thread.ofPlatform().name("waker").start(() -> {
            await().atMost(10, TimeUnit.SECONDS).until(() -> armed.get() && waiting.getAsBoolean());
            wokenAt.set(System.nanoTime());
            ring.wakeup();
        });
        armed.set(true);
        long start = System.nanoTime();
        ring.await(TimeUnit.SECONDS.toNanos(30));
        long returned = System.nanoTime();
        waker.join();
        assertTrue(wokenAt.get() > 0, "waker never saw the owner blocked");
        assertTrue(returned - start < TimeUnit.SECONDS.toNanos(10), "await was not interrupted");
        assertEquals(0, driver.reap(), "the wake-up is not a completion");
        assertEquals(0, ring.inFlight());
    }

    @Test
    void shouldBlockUntilWokenForNoTimeoutAndAHugeTimeout() throws Exception {
        BooleanSupplier waiting = kind.waitProbe(Thread.currentThread());
        for (long timeout : new long[] {-1, Long.MAX_VALUE}) {
            AtomicLong wokenAt = new AtomicLong();
            Thread waker = Thread.ofPlatform().name("waker").start(() -> {
                // the owner must stay in its wait, not spin through short ones
                await().during(100, TimeUnit.MILLISECONDS).atMost(10, TimeUnit.SECONDS).until(waiting::getAsBoolean);
                wokenAt.set(System.nanoTime());
                ring.wakeup();
            });
            ring.await(timeout);
            long returned = System.nanoTime();
            waker.join();
            assertTrue(wokenAt.get() > 0 && returned - wokenAt.get() >= 0, "returned before the wake-up, timeout " + timeout);
            driver.reap();
        }
    }

    @Test
    void shouldReturnAtOnceFromAnAwaitAfterAnEarlierWakeupAndConsumeIt() {
        ring.wakeup();
        ring.wakeup(); // a second one before the wait folds into the first
        long start = System.nanoTime();
        ring.await(TimeUnit.SECONDS.toNanos(30));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        assertEquals(0, driver.reap());
        // Consumed: the next wait blocks until its timeout again.
        start = System.nanoTime();
        ring.await(TimeUnit.MILLISECONDS.toNanos(50));
        long elapsed = System.nanoTime() - start;
        driver.reap();
        assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(49), "returned after " + elapsed + " ns");
    }

    /** A lost wake-up shows as an await that sits out its 30 s timeout. */
    @Test
    @Tag("slow")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldReturnFromEveryAwaitThatAWakeupTargetsALot() throws Exception {
        AtomicInteger round = new AtomicInteger(-1);
        AtomicInteger woken = new AtomicInteger(-1);
        Thread waker = Thread.ofPlatform().name("waker").start(() -> {
            for (int i = 0; i < ROUNDS; i++) {
                while (round.get() < i) {
                    Thread.onSpinWait();
                }
                ring.wakeup();
                woken.set(i);
            }
        });
        long slowest = 0;
        for (int i = 0; i < ROUNDS; i++) {
            round.set(i); // the waker may wake before or while this thread waits
            long start = System.nanoTime();
            ring.await(TimeUnit.SECONDS.toNanos(30));
            slowest = Math.max(slowest, System.nanoTime() - start);
            // A ring may return early (io_uring's eventfd read of the round before may complete
            // late): take what it reaped, and let the waker say this round's wake-up is made.
            driver.reap();
            while (woken.get() < i) {
                Thread.onSpinWait();
            }
        }
        waker.join();
        System.out.printf("[%s] %d wake-ups, slowest await %.2f ms, %d kernel calls%n",
                kind, ROUNDS, slowest / 1e6, ring.kernelCalls());
        assertTrue(slowest < TimeUnit.SECONDS.toNanos(10), "an await sat out its timeout: a lost wake-up");
        assertEquals(0, ring.inFlight());
    }
}
