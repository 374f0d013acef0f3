/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.BackendFeatures;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Which thread may drive a carrier's ring decides its setup flags: with the hand-off on any spare
 * may take the carrier over, so rings are COOP_TASKRUN; with it off one thread drives each ring for
 * life, so rings are SINGLE_ISSUER | DEFER_TASKRUN, bound to it. Both must carry real socket I/O,
 * the first across a hand-off.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class IoUringRingOwnershipTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @BeforeEach
    void requireIoUring() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
    }

    @Test
    void shouldCarrySocketIoOnSingleIssuerRingsWhenTheHandoffIsOff() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(2).backend("io_uring").strict(true)
                .handoffThreshold(Duration.ZERO).build()) {
            BackendFeatures features = rt.backendFeatures();
            assumeTrue(features.isActive("single_issuer"), () -> "kernel lacks it: " + features.disabled());
            assertTrue(features.isActive("defer_taskrun"), features::toString);
            assertFalse(features.isActive("coop_taskrun"), features::toString);
            int descriptorsBefore = rt.backend().openDescriptors();
            runEchoes(rt, 8, 5);
            RuntimeStats stats = rt.stats();
            assertEquals(0, stats.kernelCallErrors(), () -> "no ring was entered by a thread it is not bound to: " + stats);
            assertEquals(descriptorsBefore, rt.backend().openDescriptors(), "every socket closed");
        }
    }

    @Test
    void shouldKeepTheRingWorkingAcrossAHandoffWhileAFibrilSpins() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("io_uring").strict(true)
                .handoffThreshold(Duration.ofMillis(5)).build()) {
            BackendFeatures features = rt.backendFeatures();
            assertFalse(features.isActive("single_issuer"), features::toString);
            assertTrue(features.disabled().get("single_issuer").contains("hand-off"), features::toString);
            CountDownLatch spinning = new CountDownLatch(1);
            boolean[] released = {false};
            Thread spinner = rt.start(() -> {
                spinning.countDown();
                while (!isReleased(released)) {
                    Thread.onSpinWait(); // holds the only carrier's thread while the others do I/O
                }
            });
            assertTrue(spinning.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the spinner started");
            try {
                runEchoes(rt, 4, 10);
            } finally {
                release(released);
            }
            assertTrue(spinner.join(PATIENCE), "the spinner finished");
            RuntimeStats stats = rt.stats();
            assertTrue(stats.handoffs() >= 1, () -> "the carrier was handed off: " + stats);
            assertEquals(0, stats.kernelCallErrors(), () -> "the ring took the new driver's calls: " + stats);
        }
    }

    private static synchronized boolean isReleased(boolean[] released) {
        return released[0];
    }

    private static synchronized void release(boolean[] released) {
        released[0] = true;
    }

    /** {@code fibrils} fibrils, each doing {@code rounds} echo round trips over loopback; all must finish. */
    private static void runEchoes(FibrilRuntime rt, int fibrils, int rounds) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < fibrils; i++) {
            threads.add(rt.start(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        NeighbourWork.echoRoundTrip(rt);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : threads) {
            assertTrue(t.join(PATIENCE), "an echo fibril did not finish");
        }
        assertNull(failure.get(), () -> "an echo failed: " + failure.get());
    }
}
