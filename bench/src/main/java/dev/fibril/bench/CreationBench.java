/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import java.util.concurrent.TimeUnit;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What starting a unit of work and waiting for its end costs. The virtual-thread and fibril
 * cases spawn and join from inside a thread of their own kind (a batch per invocation), so the
 * join never wakes a platform thread; the platform case starts and joins from the benchmark thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.OPENS, BenchJvm.NATIVE, BenchJvm.EXPORTS, BenchJvm.XMS, BenchJvm.XMX, BenchJvm.PRETOUCH})
public class CreationBench {
    static final int BATCH = 1_000;
    private static final Runnable NOTHING = () -> { };

    private final ContinuationScope scope = new ContinuationScope("bench");
    private FibrilRuntime runtime;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Fibril.runtime().carriers(1).backend("simulated").build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runtime.close();
    }

    @Benchmark
    public boolean continuationCreateRun() {
        Continuation c = new Continuation(scope, NOTHING);
        c.run();
        return c.isDone();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void fibrilSpawnJoin() throws InterruptedException {
        FibrilRuntime rt = runtime;
        rt.start(() -> {
            try {
                for (int i = 0; i < BATCH; i++) {
                    rt.start(NOTHING).join();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).join();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void virtualThreadStartJoin() throws InterruptedException {
        Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < BATCH; i++) {
                    Thread.ofVirtual().start(NOTHING).join();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).join();
    }

    @Benchmark
    public void platformThreadStartJoin() throws InterruptedException {
        Thread.ofPlatform().start(NOTHING).join();
    }
}
