/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.spi.Op;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/** Configures a {@link SimulatedKernel}. Not thread-safe. */
public final class SimulatedKernelBuilder {
    long seed;
    LongSupplier clock = System::nanoTime;
    boolean virtualTime;
    Latency latency = Latency.none();
    final Latency[] latencyByOpcode = new Latency[Op.SLOTS];
    final double[] faultProbability = new double[Fault.COUNT];
    long maxFaultDelayNanos = 100_000;
    int submissionEntries = 4096;
    int socketBufferBytes = 256 * 1024;
    int maxDescriptors = 65_536;
    long maxFileSize = 1L << 34;
    int firstEphemeralPort = 40_000;

    SimulatedKernelBuilder() {
    }

    /** The seed of every ring's random streams (latency samples, faults). Default 0. */
    public SimulatedKernelBuilder seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** The time source in nanoseconds; must be thread-safe and never go back. Default {@code System::nanoTime}. */
    public SimulatedKernelBuilder clock(LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.virtualTime = false;
        return this;
    }

    /**
     * Virtual time: the clock starts at 0 and moves only when a ring waits with nothing due, and
     * then at once to its next due completion or link deadline, instead of the ring sleeping
     * until then. Latencies, DELAY faults, TIMEOUTs and read timeouts then cost no real time, and
     * how far the clock has moved depends on what the rings did, not on how fast they ran, so a
     * seed replays a run on one ring whose inputs come only from its own fibrils. A ring's await
     * timeout stays real time.
     */
    public SimulatedKernelBuilder virtualTime() {
        this.clock = new ManualClock();
        this.virtualTime = true;
        return this;
    }

    /** The latency of every opcode not given its own. Default {@link Latency#none()}. */
    public SimulatedKernelBuilder latency(Latency latency) {
        this.latency = Objects.requireNonNull(latency, "latency");
        return this;
    }

    /** The latency of one opcode ({@link Op}), overriding the default. */
    public SimulatedKernelBuilder latency(int opcode, Latency latency) {
        if (opcode < 0 || opcode >= Op.SLOTS) {
            throw new IllegalArgumentException("opcode out of range [0, " + Op.SLOTS + "): " + opcode);
        }
        latencyByOpcode[opcode] = Objects.requireNonNull(latency, "latency");
        return this;
    }

    /** The probability (0 to 1) that {@code kind} hits an op it applies to. Default 0 for every kind. */
    public SimulatedKernelBuilder fault(Fault kind, double probability) {
        if (!(probability >= 0.0 && probability <= 1.0)) {
            throw new IllegalArgumentException("probability must be in [0, 1]: " + probability);
        }
        faultProbability[kind.ordinal()] = probability;
        return this;
    }

    /** The same probability for every fault kind. */
    public SimulatedKernelBuilder faults(double probability) {
        for (Fault kind : Fault.values()) {
            fault(kind, probability);
        }
        return this;
    }

    /** The bound of the extra latency a {@link Fault#DELAY} adds. Default 100 µs. */
    public SimulatedKernelBuilder maxFaultDelay(Duration bound) {
        long nanos = bound.toNanos();
        if (nanos <= 0) {
            throw new IllegalArgumentException("fault delay bound must be positive: " + bound);
        }
        this.maxFaultDelayNanos = nanos;
        return this;
    }

    /** Submission queue entries per ring, rounded up to a power of two. Default 4096. */
    public SimulatedKernelBuilder submissionQueueEntries(int entries) {
        if (entries < 1 || entries > 1 << 20) {
            throw new IllegalArgumentException("submission queue entries must be in [1, 2^20]: " + entries);
        }
        int power = Integer.highestOneBit(entries);
        this.submissionEntries = power == entries ? entries : power << 1;
        return this;
    }

    /** Bytes a socket buffers per direction; SEND waits when the peer's buffer is full. Default 256 KiB. */
    public SimulatedKernelBuilder socketBufferBytes(int bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("socket buffer must hold at least a byte: " + bytes);
        }
        this.socketBufferBytes = bytes;
        return this;
    }

    /** Open fds allowed at once; beyond it open, socket and accept fail with {@code -EMFILE}. Default 65,536. */
    public SimulatedKernelBuilder maxDescriptors(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max descriptors must be positive: " + max);
        }
        this.maxDescriptors = max;
        return this;
    }

    /** The largest file; writes and truncates beyond it fail with {@code -EFBIG}. Default 16 GiB. */
    public SimulatedKernelBuilder maxFileSize(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("max file size must not be negative: " + bytes);
        }
        this.maxFileSize = bytes;
        return this;
    }

    /** The first port of the ephemeral range, which ends at 65535. Default 40000. */
    public SimulatedKernelBuilder firstEphemeralPort(int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        this.firstEphemeralPort = port;
        return this;
    }

    public SimulatedKernel build() {
        return new SimulatedKernel(this);
    }
}
