/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fibril.syscall.uring.IoUringBackend;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Calls every benchmark method a few times, outside JMH, so a benchmark that throws, hangs or no
 * longer compiles fails the build. Not a measurement.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BenchmarkSmokeTest {

    @Test
    void shouldRunEverySwitchBenchmark() throws Exception {
        SwitchBench b = new SwitchBench();
        b.setUp();
        try {
            for (int i = 0; i < 3; i++) {
                b.continuationYieldRun();
                b.fibrilParkResume();
                b.virtualThreadParkResume();
                b.virtualThreadParkResumeParallelism1();
                b.platformThreadParkResume();
                b.callbackStep();
                assertEquals(2, b.completableFutureStep());
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldRunEveryCreationBenchmark() throws Exception {
        CreationBench b = new CreationBench();
        b.setUp();
        try {
            for (int i = 0; i < 3; i++) {
                assertTrue(b.continuationCreateRun());
                b.fibrilSpawnJoin();
                b.virtualThreadStartJoin();
                b.platformThreadStartJoin();
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldRunEveryDescriptorBenchmark() {
        DescriptorBench b = new DescriptorBench();
        for (int i = 0; i < 1000; i++) {
            b.pooledDescriptor();
            b.allocatedPerCall();
        }
    }

    @Test
    void shouldRunEveryBlockingSyscallBenchmark() throws Exception {
        SyscallBench b = new SyscallBench();
        b.setUp();
        try {
            for (int i = 0; i < 3; i++) {
                assertEquals(0, b.ffmOnPlatformThread());
                assertEquals(0, b.handOffToPlatformPool());
                b.ffmOnVirtualThread();
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldRunRingAndFibrilNopsWhereIoUringWorks() throws Exception {
        assumeTrue(IoUringBackend.probe().available(), () -> "io_uring: " + IoUringBackend.probe().reason());
        for (int batch : new int[] {1, 64}) {
            RingNopBench r = new RingNopBench();
            r.batch = batch;
            r.setUp();
            try {
                for (int i = 0; i < 10; i++) {
                    assertEquals(batch, r.ringNop());
                }
            } finally {
                r.tearDown();
            }
            FibrilNopBench f = new FibrilNopBench();
            f.fibrils = batch;
            f.setUp();
            try {
                f.fibrilNop();
            } finally {
                f.tearDown();
            }
        }
    }

    @Test
    void shouldRunEveryFileReadBenchmark() throws Exception {
        for (int readers : new int[] {1, 64, 1000}) {
            FileReadBench b = new FileReadBench();
            b.readers = readers;
            b.setUp();
            try {
                b.fibrilIoUring();
                b.fileChannelVirtualThreads();
                b.fileChannelPlatformPool();
            } finally {
                b.tearDown();
            }
        }
    }

    @Test
    void shouldRunAShortIsolationProbeOnEveryRuntime() throws Exception {
        String backend = IoUringBackend.probe().available() ? "io_uring" : "epoll";
        for (String runtime : new String[] {"jdk-virtual", "fibril-on", "fibril-off"}) {
            java.util.List<String> lines = IsolationProbe.measure(runtime, "cpu", backend, 50, null);
            assertEquals(4, lines.size(), runtime + ": " + lines);
            for (String line : lines) {
                if (line.startsWith("HIST ")) {
                    assertTrue(IsolationProbe.decode(line.split(" ")[2]).getTotalCount() > 0, runtime + ": " + line.substring(0, 10));
                }
            }
        }
    }

    @Test
    void shouldListEveryCatalogCaseInTheJmhIndex() throws Exception {
        var index = getClass().getResourceAsStream("/META-INF/BenchmarkList");
        assertTrue(index != null, "META-INF/BenchmarkList missing: the JMH annotation processor did not run");
        String list = new String(index.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        for (Case c : Catalog.all()) {
            assertTrue(list.contains(c.benchmark().getSimpleName() + "_" + c.method() + "_jmhTest"), () -> c.id() + " is not a JMH benchmark");
        }
    }
}
