/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every enqueued request completes exactly once, whatever the mix of faults, cancels and closes. */
@Tag("slow")
class CompletionInvariantALotTest {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldCompleteEveryRequestExactlyOnceOverHundredThousandOpsWithAllFaults() {
        ManualClock clock = new ManualClock();
        SimulatedKernel kernel = SimulatedKernel.builder()
                .seed(2024)
                .clock(clock)
                .latency(Latency.exponential(5_000))
                .faults(0.02)
                .socketBufferBytes(32 * 1024)
                .build();
        ChaosDriver chaos = new ChaosDriver(kernel, 0, 77, () -> clock.advance(10_000));
        int file = ChaosDriver.openScratchFile(kernel, "/chaos");
        chaos.useFile(file);
        for (int round = 0; round < 20; round++) {
            int[] pair = chaos.connectedPair();
            chaos.useSockets(pair);
            chaos.run(5_000);
            // Closing with ops still waiting on the sockets: they must complete, with -ECANCELED.
            kernel.close(pair[0]);
            kernel.close(pair[1]);
        }
        kernel.close(file);
        assertTrue(chaos.drain(100_000), "requests never completed: " + chaos.ring.inFlight());
        assertTrue(chaos.submitted() >= 100_000);
        chaos.assertEveryRequestCompletedExactlyOnce();
        assertEquals(0, kernel.openDescriptors());
        // The mix reached the paths that matter: cancels found targets, closes cancelled waiting ops, timeouts fired.
        assertTrue(chaos.completionsWith(-Errno.ECANCELED) > 100, "cancelled: " + chaos.completionsWith(-Errno.ECANCELED));
        assertTrue(chaos.completionsWith(-Errno.ENOENT) > 100);
        assertTrue(chaos.completionsWith(-Errno.ETIME) > 100);
        assertTrue(chaos.completionsWith(-Errno.EPIPE) + chaos.completionsWith(-Errno.EBADF) > 0);
        assertTrue(chaos.completionsWith(1) > 10_000);
        for (Fault kind : Fault.values()) {
            assertTrue(kernel.faultsInjected(kind) > 0, kind + " never injected");
        }
        chaos.ring.close();
        kernel.close();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldCompleteEveryRequestExactlyOnceWithLinkedChainsAndLinkTimeouts() {
        ManualClock clock = new ManualClock();
        SimulatedKernel kernel = SimulatedKernel.builder()
                .seed(2025)
                .clock(clock)
                .latency(Latency.exponential(5_000))
                .faults(0.02)
                .socketBufferBytes(32 * 1024)
                .build();
        ChaosDriver chaos = new ChaosDriver(kernel, 0, 78, () -> clock.advance(10_000)).withLinks();
        int file = ChaosDriver.openScratchFile(kernel, "/links");
        chaos.useFile(file);
        for (int round = 0; round < 10; round++) {
            int[] pair = chaos.connectedPair();
            chaos.useSockets(pair);
            chaos.run(5_000);
            kernel.close(pair[0]);
            kernel.close(pair[1]);
        }
        kernel.close(file);
        assertTrue(chaos.drain(100_000), "requests never completed: " + chaos.ring.inFlight());
        chaos.assertEveryRequestCompletedExactlyOnce();
        assertEquals(0, kernel.openDescriptors());
        assertTrue(chaos.completionsWith(-Errno.ECANCELED) > 500, "cancelled: " + chaos.completionsWith(-Errno.ECANCELED));
        assertTrue(chaos.completionsWith(-Errno.ETIME) > 100, "timed out: " + chaos.completionsWith(-Errno.ETIME));
        chaos.ring.close();
        kernel.close();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldCompleteEveryRequestExactlyOnceWithBothEndsOnTwoThreads() {
        SimulatedKernel kernel = SimulatedKernel.builder()
                .seed(7)
                .latency(Latency.uniform(0, 5_000))
                .faults(0.02)
                .socketBufferBytes(16 * 1024)
                .build();
        RingDriver setup = new RingDriver(kernel.openRing(9));
        int[] pair = setup.connectedPair(kernel);
        setup.ring().close();
        int file = ChaosDriver.openScratchFile(kernel, "/shared");

        AtomicBoolean closed = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ChaosDriver[] drivers = new ChaosDriver[2];
        AtomicBoolean[] ran = {new AtomicBoolean(), new AtomicBoolean()};
        Thread[] threads = new Thread[2];
        for (int side = 0; side < 2; side++) {
            int me = side;
            threads[side] = new Thread(() -> {
                try {
                    SimulatedRing[] ring = new SimulatedRing[1];
                    ChaosDriver chaos = new ChaosDriver(kernel, me, 100 + me, () -> ring[0].await(Duration.ofMillis(1).toNanos()));
                    ring[0] = chaos.ring;
                    drivers[me] = chaos;
                    chaos.useFile(file);
                    chaos.useSockets(pair[me]);
                    chaos.run(50_000);
                    ran[me].set(true);
                    while (!closed.get()) {
                        chaos.drain(1);
                    }
                    assertTrue(chaos.drain(10_000), "requests never completed: " + chaos.ring.inFlight());
                    chaos.assertEveryRequestCompletedExactlyOnce();
                    assertTrue(chaos.completionsWith(-Errno.ECANCELED) > 0);
                    chaos.ring.close();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "chaos-" + side);
            threads[side].setDaemon(true);
            threads[side].start();
        }
        await().atMost(Duration.ofSeconds(50)).until(() -> (ran[0].get() && ran[1].get()) || failure.get() != null);
        kernel.close(pair[0]);
        kernel.close(pair[1]);
        kernel.close(file);
        closed.set(true);
        await().atMost(Duration.ofSeconds(50)).until(() -> !threads[0].isAlive() && !threads[1].isAlive());
        assertNull(failure.get(), () -> "chaos thread failed: " + failure.get());
        assertEquals(0, kernel.openDescriptors());
        kernel.close();
    }
}
