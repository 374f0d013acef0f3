/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ThreadScheduleTest {
    private static final long THRESHOLD = TimeUnit.MILLISECONDS.toNanos(5);

    @Test
    void shouldCallAThreadThatSleepsInTheKernelOrRanHeld() {
        assertTrue(ThreadSchedule.held('S', 0, THRESHOLD), "asleep in a call");
        assertTrue(ThreadSchedule.held('D', 0, THRESHOLD), "in uninterruptible I/O");
        assertTrue(ThreadSchedule.held('R', THRESHOLD / 4, THRESHOLD), "ran a quarter threshold");
    }

    @Test
    void shouldCallARunnableThreadThatDidNotRunPreempted() {
        assertFalse(ThreadSchedule.held('R', 0, THRESHOLD));
        assertFalse(ThreadSchedule.held('R', THRESHOLD / 4 - 1, THRESHOLD));
    }

    @Test
    void shouldSeeAThreadRunAndSleep() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "/proc is Linux's");
        AtomicReference<ThreadSchedule> schedule = new AtomicReference<>();
        AtomicBoolean spin = new AtomicBoolean(true);
        Thread t = Thread.ofPlatform().start(() -> {
            schedule.set(ThreadSchedule.ofCurrentThread());
            while (spin.get()) {
                Thread.onSpinWait(); // runnable until told to stop
            }
            LockSupport.park(); // then asleep in the kernel until unparked
        });
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> schedule.get() != null);
            ThreadSchedule s = schedule.get();
            long cpu = s.cpuNanos();
            await().atMost(Duration.ofSeconds(30)).until(() -> s.cpuNanos() > cpu); // it runs
            assertEquals(ThreadSchedule.RUNNABLE, s.state(), "a spinning thread is running or waiting for a CPU");
            spin.set(false);
            await().atMost(Duration.ofSeconds(30)).until(() -> s.state() == 'S');
        } finally {
            spin.set(false);
            LockSupport.unpark(t);
            t.join();
        }
    }
}
