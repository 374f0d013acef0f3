/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Same seed, same run: with a manual clock, a seed and a submission sequence fix the completion sequence. */
class DeterminismTest {

    /** The completions (user_data, result) of a fixed random mix of 20,000 requests on a fresh kernel. */
    private static long[] run(long seed) {
        ManualClock clock = new ManualClock();
        SimulatedKernel kernel = SimulatedKernel.builder()
                .seed(seed)
                .clock(clock)
                .latency(Latency.exponential(3_000))
                .latency(Op.FSYNC, Latency.uniform(10_000, 50_000))
                .faults(0.05)
                .socketBufferBytes(16 * 1024)
                .build();
        ChaosDriver chaos = new ChaosDriver(kernel, 0, 4242, () -> clock.advance(2_500)).withLinks().recordSequence();
        chaos.useFile(ChaosDriver.openScratchFile(kernel, "/d"));
        for (int round = 0; round < 4; round++) {
            int[] pair = chaos.connectedPair();
            chaos.useSockets(pair);
            chaos.run(5_000);
            kernel.close(pair[0]);
            kernel.close(pair[1]);
        }
        assertTrue(chaos.drain(100_000));
        chaos.assertEveryRequestCompletedExactlyOnce();
        chaos.ring.close();
        kernel.close();
        return chaos.sequence();
    }

    @Test
    void shouldGiveIdenticalCompletionSequenceForSameSeed() {
        long[] first = run(99);
        long[] second = run(99);
        assertTrue(first.length >= 2 * 20_000);
        assertArrayEquals(first, second);
    }

    @Test
    void shouldGiveDifferentCompletionSequenceForDifferentSeed() {
        assertFalse(java.util.Arrays.equals(run(99), run(100)));
    }

    @Test
    void shouldGiveEachRingItsOwnStreamFromTheSameSeed() {
        ManualClock clock = new ManualClock();
        SimulatedKernel kernel = SimulatedKernel.builder().seed(1).clock(clock).faults(0.3).build();
        long[][] sequences = new long[2][];
        for (int index = 0; index < 2; index++) {
            ChaosDriver chaos = new ChaosDriver(kernel, index, 5, () -> clock.advance(200_000)).recordSequence();
            chaos.useFile(ChaosDriver.openScratchFile(kernel, "/r" + index));
            chaos.run(2_000);
            assertTrue(chaos.drain(1_000));
            chaos.ring.close();
            sequences[index] = chaos.sequence();
        }
        assertFalse(java.util.Arrays.equals(sequences[0], sequences[1]));
        kernel.close();
    }
}
