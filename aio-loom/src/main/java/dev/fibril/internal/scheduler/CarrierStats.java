/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.Op;

/**
 * A carrier's counters. Written only by the carrier's own thread (plain increments, no atomics, no
 * Micrometer on the hot path); read by any thread for stats and gauges, which tolerate a value a
 * moment old (HotSpot's 64-bit longs do not tear on the platforms Fibril runs on). The two
 * counters that foreign threads bump live in {@link Carrier} as atomics.
 */
public final class CarrierStats {
    long tasksRun;
    long parks;
    long localWakeups;
    long inlineCompletions;
    long submissions;
    long retries;
    long staleCompletions;
    long cancelsSubmitted;
    long flushes;
    /** Times the SQ was full and the kernel took nothing on a flush (enqueue then reaps or waits). */
    long fullQueueStalls;
    /** Loop iterations that threw (see {@code Carrier.runLoop}). */
    long loopFailures;
    final long[] completionsOk = new long[Op.SLOTS];
    final long[] completionsFailed = new long[Op.SLOTS];

    public long tasksRun() {
        return tasksRun;
    }

    public long fullQueueStalls() {
        return fullQueueStalls;
    }

    public long loopFailures() {
        return loopFailures;
    }

    public long parks() {
        return parks;
    }

    public long localWakeups() {
        return localWakeups;
    }

    public long inlineCompletions() {
        return inlineCompletions;
    }

    public long submissions() {
        return submissions;
    }

    public long retries() {
        return retries;
    }

    public long staleCompletions() {
        return staleCompletions;
    }

    public long cancelsSubmitted() {
        return cancelsSubmitted;
    }

    public long completions(int op, boolean ok) {
        return ok ? completionsOk[op] : completionsFailed[op];
    }

    public long completions() {
        long sum = 0;
        for (int i = 0; i < Op.SLOTS; i++) {
            sum += completionsOk[i] + completionsFailed[i];
        }
        return sum;
    }
}
