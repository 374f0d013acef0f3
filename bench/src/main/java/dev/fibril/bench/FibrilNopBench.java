/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * An io_uring NOP round trip through Fibril: the fibril takes a descriptor, writes the SQE and
 * parks; the carrier submits, reaps and resumes it. With 64 fibrils on the carrier, one
 * io_uring_enter carries many NOPs. An invocation is {@link #BATCH} NOPs shared by the fibrils.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.OPENS, BenchJvm.NATIVE, BenchJvm.EXPORTS, BenchJvm.XMS, BenchJvm.XMX, BenchJvm.PRETOUCH})
public class FibrilNopBench {
    static final int BATCH = 8_192;

    @Param({"1", "64"})
    public int fibrils;

    private FibrilRuntime runtime;
    private Thread[] running;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Fibril.runtime().carriers(1).backend("io_uring").build();
        running = new Thread[fibrils];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runtime.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void fibrilNop() throws InterruptedException {
        int each = BATCH / fibrils;
        for (int i = 0; i < fibrils; i++) {
            running[i] = runtime.start(() -> nops(each));
        }
        for (Thread t : running) {
            t.join();
        }
    }

    static void nops(int count) {
        try {
            for (int i = 0; i < count; i++) {
                Fibril.nop();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
