/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.syscall.sim.SimulatedKernel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A carrier held inside a section cannot be handed off; the monitor at least says so. A fibril
 * that waits inside a section of its only carrier (as an allocation waiting for the collector
 * did) holds the carrier's thread while its neighbour waits to run: the monitor reports it, and
 * the neighbour runs only once the section is left.
 */
class StuckSectionReportTest {
    @Test
    void shouldReportACarrierHeldInsideOneSectionWhileWorkWaits() throws Exception {
        CarrierGroup group = new CarrierGroup(SimulatedKernel.builder().seed(1).build(), 1, 16, 64, true,
                Duration.ofMillis(5), 4);
        try {
            Carrier carrier = group.carriers().get(0);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch inside = new CountDownLatch(1);
            AtomicBoolean neighbourRan = new AtomicBoolean();
            Thread holder = group.start(() -> {
                try {
                    carrier.enter();
                } catch (RuntimeClosedException e) {
                    throw new IllegalStateException(e);
                }
                try {
                    group.start(() -> neighbourRan.set(true)); // ready on the same carrier: work waiting
                    inside.countDown();
                    release.await(); // pinned: this waits with the carrier's thread
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    carrier.exit();
                }
            });
            inside.await();
            await().atMost(Duration.ofSeconds(30)).until(() -> group.handoffs().stuckSections() >= 1);
            assertFalse(neighbourRan.get(), "nothing else ran on the held carrier");
            assertEquals(0, group.handoffs().handoffs(), "a carrier in a section is never handed off");
            release.countDown();
            assertTrue(holder.join(Duration.ofSeconds(30)));
            await().atMost(Duration.ofSeconds(30)).untilTrue(neighbourRan);
        } finally {
            group.close(Duration.ofSeconds(5));
        }
    }
}
