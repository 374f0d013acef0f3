/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.spi.Op;

import java.util.SplittableRandom;

/** Per-opcode latencies with a default for the opcodes not configured. Immutable; shared by the rings. */
final class LatencyModel {
    private final Latency defaultLatency;
    private final Latency[] byOpcode = new Latency[Op.SLOTS];

    LatencyModel(Latency defaultLatency, Latency[] configured) {
        this.defaultLatency = defaultLatency;
        for (int op = 0; op < Op.SLOTS; op++) {
            byOpcode[op] = configured[op] != null ? configured[op] : defaultLatency;
        }
    }

    /** A latency for {@code opcode} in nanoseconds, never negative. */
    long sampleNanos(byte opcode, SplittableRandom random) {
        int op = opcode & 0xFF;
        Latency latency = op < Op.SLOTS ? byOpcode[op] : defaultLatency;
        return Math.max(0L, latency.sampleNanos(random));
    }
}
