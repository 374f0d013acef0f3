/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak as part of the test suite: {@code fibril.soak.seconds} (120 in {@code ./fibril test})
 * of mixed work under chaos, which must break no invariant and must have done work on every
 * backend it ran (a soak that checked nothing would pass too).
 */
class SoakTest {
    @Test
    void shouldKeepEveryInvariantThroughRoundsOfWorkUnderChaos() throws Exception {
        Duration d = Duration.ofSeconds(Long.getLong("fibril.soak.seconds", 120));
        Soak.Summary s = Soak.run(d, 1, System.out);
        assertTrue(s.passed(), () -> "the soak broke invariants:\n  " + String.join("\n  ", s.failures()));
        for (Round.Result r : s.rounds()) {
            assertTrue(r.tally().exchanges.sum() > 0 && r.tally().fileOps.sum() > 0,
                    () -> "round " + r.number() + " on " + r.backend() + " did no socket or no file work");
            assertTrue(r.backend().equals("simulated") || r.tally().httpRequests.sum() > 0,
                    () -> "round " + r.number() + " on " + r.backend() + " made no HTTP request");
            assertTrue(r.tally().interrupts.sum() + r.tally().closes.sum() > 0,
                    () -> "round " + r.number() + " struck no worker");
        }
    }
}
