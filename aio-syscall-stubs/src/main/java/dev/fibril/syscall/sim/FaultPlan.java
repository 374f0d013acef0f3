/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Decides, op by op, which faults to inject. Immutable apart from the shared counters; the random
 * stream is the calling ring's, so every decision is made on that ring's owner thread.
 *
 * <p>For the same op on the same kind of descriptor the sequence of draws is always the same, which
 * is what makes a seed replay a run. A kind whose probability is 0 draws nothing.
 */
final class FaultPlan {
    /** What an op does, as far as faults care. */
    static final int OTHER = 0;
    static final int FILE_READ = 1;
    static final int FILE_WRITE = 2;
    static final int FILE_SYNC = 3;
    static final int SOCKET_READ = 4;
    static final int SOCKET_WRITE = 5;
    /** OPENAT, CLOSE, STATX, FTRUNCATE, SOCKET: the calls a fibril makes through the ring instead of synchronously. */
    static final int DESCRIPTOR_CALL = 6;

    private final double[] probability;
    private final long maxDelayNanos;
    private final AtomicLongArray injected;

    FaultPlan(double[] probability, long maxDelayNanos, AtomicLongArray injected) {
        this.probability = probability.clone();
        this.maxDelayNanos = maxDelayNanos;
        this.injected = injected;
    }

    /** An error to complete with instead of executing the op ({@code -errno}), or 0 to execute it. */
    int injectError(int target, SplittableRandom random) {
        if (target == OTHER) {
            return 0;
        }
        if (target == DESCRIPTOR_CALL) {
            return fires(Fault.EINTR, random) ? Fault.EINTR.result() : 0;
        }
        boolean data = target != FILE_SYNC;
        boolean file = target <= FILE_SYNC;
        if (data && fires(Fault.EINTR, random)) {
            return Fault.EINTR.result();
        }
        if (data && fires(Fault.EAGAIN, random)) {
            return Fault.EAGAIN.result();
        }
        if (file && fires(Fault.EIO, random)) {
            return Fault.EIO.result();
        }
        if (!file && fires(Fault.ECONNRESET, random)) {
            return Fault.ECONNRESET.result();
        }
        return 0;
    }

    /** The count to transfer: {@code length}, or a random count in {@code [1, length - 1]} for a short transfer. */
    int shorten(int target, int length, SplittableRandom random) {
        if (length <= 1) {
            return length;
        }
        Fault kind = switch (target) {
            case FILE_READ, SOCKET_READ -> Fault.SHORT_READ;
            case FILE_WRITE, SOCKET_WRITE -> Fault.SHORT_WRITE;
            default -> null;
        };
        if (kind == null || !fires(kind, random)) {
            return length;
        }
        return 1 + random.nextInt(length - 1);
    }

    /** Extra latency in nanoseconds, 0 when no DELAY fault fires. */
    long injectDelay(SplittableRandom random) {
        return fires(Fault.DELAY, random) ? 1 + random.nextLong(maxDelayNanos) : 0L;
    }

    /** Whether to reorder the op's completion; the ring counts it with {@link #countReorder()} where it applies. */
    boolean decideReorder(SplittableRandom random) {
        double p = probability[Fault.REORDER.ordinal()];
        return p > 0 && random.nextDouble() < p;
    }

    void countReorder() {
        injected.incrementAndGet(Fault.REORDER.ordinal());
    }

    private boolean fires(Fault kind, SplittableRandom random) {
        double p = probability[kind.ordinal()];
        if (p <= 0 || random.nextDouble() >= p) {
            return false;
        }
        injected.incrementAndGet(kind.ordinal());
        return true;
    }
}
