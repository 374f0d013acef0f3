/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.DescriptorPool;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What a request descriptor costs per call: taken from the carrier's pool and given back, against
 * a new request object per call (what a runtime without a pool does). The B/op column is the point.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.OPENS, BenchJvm.NATIVE, BenchJvm.EXPORTS, BenchJvm.XMS, BenchJvm.XMX, BenchJvm.PRETOUCH})
public class DescriptorBench {
    private final DescriptorPool pool = new DescriptorPool(256, 4096);
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
    private long offset;

    @Benchmark
    public long pooledDescriptor() {
        Descriptor d = pool.tryAcquire();
        d.prepare(Op.READ, 3, buffer, 0, 4096, offset += 4096);
        long o = d.offset();
        pool.release(d);
        return o;
    }

    @Benchmark
    public IoRequest allocatedPerCall() {
        IoRequest r = new IoRequest();
        r.prepare(Op.READ, 3, buffer, 0, 4096, offset += 4096);
        return r; // returned, so it escapes and the allocation is real
    }
}
