/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import org.openjdk.jmh.runner.options.TimeValue;

/** How long each measurement runs: the quick profile fits in minutes on 2 cores, the full one is steadier. */
record Profile(String name, int forks, int warmups, TimeValue warmupTime, int iterations, TimeValue iterationTime,
               int loadRounds, double loadWarmupSeconds, double loadSeconds,
               int httpRounds, int httpFirstWarmupSeconds, int httpWarmupSeconds, int httpSeconds, int isolationRounds,
               int idleConnections, int idleRounds) {

    // HTTP times are whole seconds: wrk's -d takes no fractions. The quick profile runs a short HTTP
    // comparison (2 rounds of 3 s, about 1.5 min) so every run has its ratios; the full one is the README's.
    // Idle connections: 2,000 per round in the quick profile, 10,000 in the full one.
    static final Profile QUICK = new Profile("quick", 1, 3, TimeValue.milliseconds(200), 5, TimeValue.milliseconds(250), 2, 0.5, 1.5,
            2, 2, 1, 3, 1, 2_000, 2);
    static final Profile FULL = new Profile("full", 2, 4, TimeValue.seconds(1), 5, TimeValue.seconds(1), 3, 1.0, 10,
            3, 10, 3, 10, 3, 10_000, 3);
    /** One tiny iteration: for checking that every benchmark still runs. */
    static final Profile SMOKE = new Profile("smoke", 1, 0, TimeValue.milliseconds(50), 1, TimeValue.milliseconds(50), 1, 0.2, 0.5,
            1, 1, 1, 1, 1, 50, 1);

    /** Estimated seconds for one JMH case: the forked JVM's start and its iterations. */
    double estimateSeconds() {
        double perFork = 2.5 + warmups * warmupTime.convertTo(java.util.concurrent.TimeUnit.MILLISECONDS) / 1000.0
                + iterations * iterationTime.convertTo(java.util.concurrent.TimeUnit.MILLISECONDS) / 1000.0;
        return forks * perFork;
    }
}
