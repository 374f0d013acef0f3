/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.sim.Latency;
import dev.fibril.syscall.sim.SimulatedKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A pool bounded at 64 under 10,000 concurrent requests: callers park for descriptors, none fails, the bound holds. */
class BackPressureTest {

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldParkCallersAtThePoolBoundAndCompleteThemAll() throws Exception {
        SimulatedKernel sim = SimulatedKernel.builder().latency(Op.READ, Latency.fixed(Duration.ofMillis(1))).build();
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend(sim)
                .descriptorPoolSize(16).descriptorPoolBound(64).strict(true).build()) {
            try (FibrilFileChannel f = rt.openFile(Path.of("/bp"), READ, WRITE, CREATE)) {
                byte[] content = new byte[10_000];
                for (int i = 0; i < content.length; i++) {
                    content[i] = (byte) (i * 13);
                }
                f.write(ByteBuffer.wrap(content), 0);
                AtomicInteger correct = new AtomicInteger();
                for (int i = 0; i < 10_000; i++) {
                    int at = i;
                    rt.start(() -> {
                        try {
                            ByteBuffer one = ByteBuffer.allocate(1);
                            if (f.read(one, at) == 1 && one.get(0) == content[at]) {
                                correct.incrementAndGet();
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                }
                await().atMost(90, TimeUnit.SECONDS).until(() -> rt.stats().fibrilsAlive() == 0);
                RuntimeStats stats = rt.stats();
                assertEquals(10_000, correct.get(), "every request completed with its byte: " + stats);
                assertEquals(64, stats.descriptorHighWater(), "the pool filled to its bound and never beyond: " + stats);
                assertEquals(64, stats.descriptorCapacity(), "grew from 16 to the bound, no further");
                assertTrue(stats.descriptorWaits() > 0, "callers waited for descriptors: " + stats);
                assertEquals(0, stats.descriptorsInUse());
                assertEquals(0, stats.descriptorWaiters());
            }
        }
    }
}
