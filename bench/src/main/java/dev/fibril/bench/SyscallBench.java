/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
 * A blocking syscall made the ways a Java server can make it: on the calling platform thread, handed
 * to a platform I/O thread and waited for, and on a JDK virtual thread (which holds its carrier for
 * the call). Compare with the ring NOPs in {@link RingNopBench} and {@link FibrilNopBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.OPENS, BenchJvm.NATIVE, BenchJvm.EXPORTS, BenchJvm.XMS, BenchJvm.XMX, BenchJvm.PRETOUCH})
public class SyscallBench {
    static final int BATCH = 8_192;

    private ZeroRead zero;
    private ExecutorService ioThread;
    private Callable<Long> call;

    @Setup(Level.Trial)
    public void setUp() {
        zero = new ZeroRead();
        ioThread = Executors.newSingleThreadExecutor();
        ZeroRead z = zero;
        call = z::call;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        ioThread.shutdown();
        ioThread.awaitTermination(5, TimeUnit.SECONDS);
        zero.close();
    }

    @Benchmark
    public long ffmOnPlatformThread() {
        return zero.call();
    }

    @Benchmark
    public long handOffToPlatformPool() throws ExecutionException, InterruptedException {
        return ioThread.submit(call).get();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void ffmOnVirtualThread() throws InterruptedException {
        ZeroRead z = zero;
        Thread.ofVirtual().start(() -> {
            for (int i = 0; i < BATCH; i++) {
                z.call();
            }
        }).join();
    }
}
