/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A clock that moves only when told to, for fully deterministic runs of the simulated kernel
 * ({@link SimulatedKernelBuilder#clock}). Thread-safe.
 *
 * <p>A ring blocked in {@code await} does not notice the clock moving: it returns at its timeout or
 * on a wake-up, so a test that advances the clock while another thread awaits calls
 * {@code wakeup()} after advancing.
 */
public final class ManualClock implements LongSupplier {
    private final AtomicLong nanos;

    public ManualClock() {
        this(0L);
    }

    public ManualClock(long startNanos) {
        this.nanos = new AtomicLong(startNanos);
    }

    @Override
    public long getAsLong() {
        return nanos.get();
    }

    /** Moves the clock forward by {@code deltaNanos} (not negative) and returns the new time. */
    public long advance(long deltaNanos) {
        if (deltaNanos < 0) {
            throw new IllegalArgumentException("a clock does not go back: " + deltaNanos);
        }
        return nanos.addAndGet(deltaNanos);
    }

    /** Moves the clock forward to {@code nanos} if it is behind it (never back); returns the time now. */
    public long advanceTo(long nanos) {
        return this.nanos.accumulateAndGet(nanos, Math::max);
    }

    public long advance(Duration delta) {
        return advance(delta.toNanos());
    }
}
