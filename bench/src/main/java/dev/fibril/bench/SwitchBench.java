/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntConsumer;
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
 * What one switch costs in each model. One operation is one hand-off: the running side stops
 * (yield, park, or returns from its callback) and the other side runs. The reference is the raw
 * continuation: a yield and a run, with no scheduler at all.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.OPENS, BenchJvm.NATIVE, BenchJvm.EXPORTS, BenchJvm.XMS, BenchJvm.XMX, BenchJvm.PRETOUCH})
public class SwitchBench {
    /** Turns per side per invocation; an invocation is 2 × ROUNDS hand-offs. */
    static final int ROUNDS = 5_000;
    static final int HANDOFFS = 2 * ROUNDS;

    private static final Function<Integer, Integer> INCREMENT = x -> x + 1;

    private ContinuationScope scope;
    private Continuation continuation;
    private FibrilRuntime runtime;
    private ThreadFactory fibrils;
    private CallbackLoop loop;

    @Setup(Level.Trial)
    public void setUp() {
        scope = new ContinuationScope("bench");
        ContinuationScope s = scope;
        continuation = new Continuation(s, () -> {
            while (true) {
                Continuation.yield(s);
            }
        });
        runtime = Fibril.runtime().carriers(1).backend("simulated").build();
        fibrils = runtime.threadFactory();
        loop = new CallbackLoop();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runtime.close();
    }

    @Benchmark
    public void continuationYieldRun() {
        continuation.run();
    }

    @Benchmark
    @OperationsPerInvocation(HANDOFFS)
    public void fibrilParkResume() throws InterruptedException {
        PingPong.run(fibrils, ROUNDS);
    }

    @Benchmark
    @OperationsPerInvocation(HANDOFFS)
    public void virtualThreadParkResume() throws InterruptedException {
        PingPong.run(Thread.ofVirtual().factory(), ROUNDS);
    }

    @Benchmark
    @OperationsPerInvocation(HANDOFFS)
    @Fork(value = 1, jvmArgsAppend = {BenchJvm.OPENS, BenchJvm.NATIVE, BenchJvm.EXPORTS, BenchJvm.XMS, BenchJvm.XMX,
            BenchJvm.PRETOUCH, BenchJvm.VT_PARALLELISM_1})
    public void virtualThreadParkResumeParallelism1() throws InterruptedException {
        PingPong.run(Thread.ofVirtual().factory(), ROUNDS);
    }

    @Benchmark
    @OperationsPerInvocation(HANDOFFS)
    public void platformThreadParkResume() throws InterruptedException {
        PingPong.run(Thread.ofPlatform().factory(), ROUNDS);
    }

    @Benchmark
    public int callbackStep() {
        return loop.step();
    }

    @Benchmark
    public Integer completableFutureStep() {
        CompletableFuture<Integer> io = new CompletableFuture<>();
        CompletableFuture<Integer> next = io.thenApply(INCREMENT);
        io.complete(1);
        return next.join();
    }

    /**
     * A hand-written event loop: a completion is a callback posted to the loop's queue, and a step
     * is the loop taking it and calling it with the result. What an event-driven server does
     * instead of a switch.
     */
    static final class CallbackLoop {
        private final ArrayDeque<IntConsumer> ready = new ArrayDeque<>();
        private int total;
        private final IntConsumer onRead = n -> total += n;

        int step() {
            ready.addLast(onRead);
            ready.pollFirst().accept(1);
            return total;
        }
    }
}
