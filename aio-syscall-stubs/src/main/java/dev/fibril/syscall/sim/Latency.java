/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.time.Duration;
import java.util.SplittableRandom;

/**
 * How long the simulated kernel takes to complete an op, from its flush to the moment its
 * completion can be reaped. A sample draws from the ring's own seeded random stream (derived from
 * the kernel's seed and the ring's index), so a seed replays the same latencies.
 *
 * <p>Samplers run on the ring's owner thread on every op; they must not block, and should not
 * allocate. Negative samples count as 0.
 */
@FunctionalInterface
public interface Latency {

    /** One latency in nanoseconds. */
    long sampleNanos(SplittableRandom random);

    /** Completions are available as soon as the flush that executed them returns: the default. */
    static Latency none() {
        return random -> 0L;
    }

    /** Always {@code nanos}. */
    static Latency fixed(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("latency must not be negative: " + nanos);
        }
        return random -> nanos;
    }

    /** Always {@code latency}. */
    static Latency fixed(Duration latency) {
        return fixed(latency.toNanos());
    }

    /** Uniform in {@code [minNanos, maxNanos]}. */
    static Latency uniform(long minNanos, long maxNanos) {
        if (minNanos < 0 || maxNanos < minNanos || maxNanos == Long.MAX_VALUE) {
            throw new IllegalArgumentException("need 0 <= min <= max < Long.MAX_VALUE, got [" + minNanos + ", " + maxNanos + "]");
        }
        long span = maxNanos - minNanos + 1;
        return random -> minNanos + random.nextLong(span);
    }

    /** Exponentially distributed with the given mean (the inter-arrival time of a Poisson process). */
    static Latency exponential(long meanNanos) {
        if (meanNanos <= 0) {
            throw new IllegalArgumentException("mean must be positive: " + meanNanos);
        }
        double mean = meanNanos;
        // 1 - u is in (0, 1], so the logarithm is finite.
        return random -> (long) (-mean * Math.log(1.0 - random.nextDouble()));
    }
}
