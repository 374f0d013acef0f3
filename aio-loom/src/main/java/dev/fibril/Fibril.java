/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

import dev.fibril.aio.spi.Op;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.CloseSignal;
import dev.fibril.internal.scheduler.IoCall;

import dev.fibril.aio.Errno;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * Entry points: {@link #runtime()} builds a runtime; {@link #sleep} and {@link #isFibril} serve
 * code running inside one.
 */
public final class Fibril {
    private Fibril() {
    }

    /** A builder for a new runtime. */
    public static FibrilRuntime.Builder runtime() {
        return new FibrilRuntime.Builder();
    }

    /** Whether the current thread is a fibril running on a Fibril carrier. */
    public static boolean isFibril() {
        return Thread.currentThread().isVirtual() && Carrier.current() != null;
    }

    /**
     * Parks the current fibril for {@code duration} with a TIMEOUT request on its carrier's ring
     * (no timer thread involved). Outside a fibril it is {@link Thread#sleep(Duration)}.
     *
     * @throws IllegalArgumentException if {@code duration} is negative
     * @throws InterruptedException     if interrupted while sleeping (the timer is cancelled)
     */
    public static void sleep(Duration duration) throws InterruptedException {
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("negative sleep duration: " + duration);
        }
        Carrier c = Carrier.current();
        if (c == null || !Thread.currentThread().isVirtual()) {
            Thread.sleep(duration);
            return;
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        long nanos;
        try {
            nanos = duration.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        int result;
        try {
            result = ringCall(c, Op.TIMEOUT, nanos);
        } catch (IOException e) {
            InterruptedException ie = new InterruptedException("sleep interrupted or runtime closed: " + e.getMessage());
            ie.initCause(e);
            throw ie;
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (result != -Errno.ETIME && result < 0) {
            throw new IllegalStateException("timer failed: " + Errno.name(-result));
        }
    }

    /**
     * One NOP round trip through the current fibril's ring: the cheapest request, for measuring
     * what a submit, a completion and a resume cost.
     *
     * @throws IllegalStateException if the current thread is not a fibril
     * @throws IOException           if the runtime is closed or the kernel fails the NOP
     */
    public static void nop() throws IOException {
        Carrier c = Carrier.current();
        if (c == null || !Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("Fibril.nop() needs a fibril: it runs on the fibril's own ring");
        }
        int result = ringCall(c, Op.NOP, 0);
        if (result < 0) {
            throw new dev.fibril.aio.ErrnoException("nop", -result);
        }
    }

    /** A request that names no fd (NOP, TIMEOUT) on carrier {@code c}, from one of its fibrils. */
    private static int ringCall(Carrier c, byte op, long offset) throws IOException {
        IoCall call = IoCall.begin(c.group(), -1);
        try {
            return call.op(op, -1).offset(offset).submit(CloseSignal.NEVER);
        } finally {
            call.end();
        }
    }
}
