/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.syscall.sim.SimulatedKernel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandoffMonitorTest {
    @Test
    void shouldStopLookingWhileEveryCarrierSleepsAndWatchAgainWhenOneWakes() throws Exception {
        CarrierGroup group = new CarrierGroup(SimulatedKernel.builder().seed(1).build(), 1, 16, 64, true,
                Duration.ofMillis(5), 4);
        try {
            assertTrue(group.start(() -> { }).join(Duration.ofSeconds(30)));
            Handoffs handoffs = group.handoffs();
            // idle: the monitor's count settles and stays (it sleeps until a carrier wakes)
            long[] seen = {-1};
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                long now = handoffs.monitorLooks();
                boolean settled = now == seen[0];
                seen[0] = now;
                return settled && group.carriers().stream().allMatch(Carrier::isIdle);
            });
            long settled = handoffs.monitorLooks();
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5))
                    .until(() -> handoffs.monitorLooks() == settled);
            // a held carrier wakes it: this fibril spins until its neighbour on the one carrier ran,
            // which only a hand-off makes possible
            AtomicBoolean neighbourRan = new AtomicBoolean();
            Thread spinner = group.start(() -> {
                group.start(() -> neighbourRan.set(true));
                while (!neighbourRan.get()) {
                    Thread.onSpinWait();
                }
            });
            assertTrue(spinner.join(Duration.ofSeconds(30)), "the spinner's neighbour ran");
            assertTrue(handoffs.monitorLooks() > settled);
            assertTrue(handoffs.handoffs() >= 1);
        } finally {
            group.close(Duration.ofSeconds(5));
        }
        assertEquals(0, group.handoffs().spareThreads(), "close() ends the spares too");
    }
}
