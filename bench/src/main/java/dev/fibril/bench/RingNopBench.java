/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringRing;
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
 * The floor under every ring call: NOPs from a tight Java loop straight on an {@link IoUringRing},
 * no fibril, no park. With {@code batch} 64, one io_uring_enter submits 64 NOPs, the best case of a
 * carrier with 64 fibrils. An invocation is {@link #OPS} NOPs either way.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.OPENS, BenchJvm.NATIVE, BenchJvm.EXPORTS, BenchJvm.XMS, BenchJvm.XMX, BenchJvm.PRETOUCH})
public class RingNopBench {
    static final int OPS = 64;

    @Param({"1", "64"})
    public int batch;

    private IoUringBackend backend;
    private IoUringRing ring;
    private IoRequest[] requests;
    private int reaped;
    private final CompletionSink sink = (userData, result) -> reaped++;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new IoUringBackend();
        ring = backend.openRing(0);
        requests = new IoRequest[batch];
        for (int i = 0; i < batch; i++) {
            requests[i] = new IoRequest();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ring.close();
        backend.close();
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public int ringNop() {
        for (int done = 0; done < OPS; done += batch) {
            for (int i = 0; i < batch; i++) {
                IoRequest r = requests[i];
                r.prepare(Op.NOP, -1, null, 0, 0, 0);
                ring.enqueue(r);
            }
            ring.flush();
            reaped = 0;
            while (reaped < batch) {
                if (ring.reap(sink, batch - reaped) == 0) {
                    ring.await(-1);
                }
            }
        }
        return reaped;
    }
}
