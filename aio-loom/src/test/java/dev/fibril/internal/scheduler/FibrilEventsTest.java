/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.sim.Latency;
import dev.fibril.syscall.sim.SimulatedKernel;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringConfig;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JFR events an operator reads: descriptor back-pressure, ring overflows and slow requests. */
class FibrilEventsTest {
    @Test
    void shouldRecordAFibrilThatWaitedForADescriptor(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events;
        try (Recording recording = new Recording()) {
            recording.enable("dev.fibril.DescriptorPoolExhausted");
            recording.start();
            try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend(SimulatedKernel.builder().seed(3).build())
                    .descriptorPoolSize(1).descriptorPoolBound(1).build()) {
                CountDownLatch holding = new CountDownLatch(1);
                Thread sleeper = rt.start(() -> {
                    holding.countDown();
                    try {
                        Fibril.sleep(Duration.ofMillis(20)); // holds the only descriptor meanwhile
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                holding.await();
                Thread waiter = rt.start(() -> {
                    try {
                        Fibril.nop(); // the pool is at its bound: this one parks for the descriptor
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertTrue(sleeper.join(Duration.ofSeconds(30)) && waiter.join(Duration.ofSeconds(30)));
                assertTrue(rt.stats().descriptorWaits() >= 1, "the second fibril waited");
            }
            recording.stop();
            events = read(recording, dir, "dev.fibril.DescriptorPoolExhausted");
        }
        assertFalse(events.isEmpty(), "a wait for a descriptor is recorded");
        RecordedEvent e = events.getFirst();
        assertEquals(0, e.getInt("carrier"));
        assertEquals(1, e.getInt("bound"));
        assertTrue(e.getBoolean("granted"));
    }

    @Test
    void shouldRecordASlowFileReadButNotATimer(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events;
        try (Recording recording = new Recording()) {
            recording.enable("dev.fibril.SlowRequest").withThreshold(Duration.ofMillis(1));
            recording.start();
            SimulatedKernel sim = SimulatedKernel.builder().seed(4)
                    .latency(Op.READ, Latency.uniform(3_000_000, 4_000_000)).build();
            try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend(sim).build()) {
                FibrilFileChannel file = rt.openFile(Path.of("/slow"), READ, WRITE, CREATE);
                Thread reader = rt.start(() -> {
                    try {
                        file.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
                        assertEquals(3, file.read(ByteBuffer.allocate(3), 0));
                        Fibril.sleep(Duration.ofMillis(5)); // a timer is slow on purpose: never recorded
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertTrue(reader.join(Duration.ofSeconds(30)));
                file.close();
            }
            recording.stop();
            events = read(recording, dir, "dev.fibril.SlowRequest");
        }
        assertTrue(events.stream().anyMatch(e -> e.getString("operation").equals("read") && e.getInt("result") == 3),
                "the slow read is recorded: " + events);
        assertTrue(events.stream().noneMatch(e -> e.getString("operation").equals("timeout")), "no timer: " + events);
    }

    /** A 4-entry completion queue and 200 NOPs submitted before the carrier reaps: the kernel holds some back. */
    @Test
    void shouldRecordARingWhoseCompletionQueueOverflowed(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(IoUringBackend.probe().available(),
                () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        List<RecordedEvent> events;
        try (Recording recording = new Recording()) {
            recording.enable("dev.fibril.RingOverflow");
            recording.start();
            IoUringBackend small = new IoUringBackend(IoUringConfig.DEFAULT.withEntries(4, 4));
            try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend(small).build()) {
                List<Thread> fibrils = new java.util.ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    fibrils.add(rt.start(() -> {
                        try {
                            Fibril.nop();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }));
                }
                for (Thread f : fibrils) {
                    assertTrue(f.join(Duration.ofSeconds(30)), "every NOP completed");
                }
            }
            recording.stop();
            events = read(recording, dir, "dev.fibril.RingOverflow");
        }
        assertFalse(events.isEmpty(), "the overflow was recorded");
        RecordedEvent e = events.get(0);
        assertEquals(0, e.getInt("carrier"));
        assertTrue(e.getLong("overflows") >= 1 && e.getLong("total") >= e.getLong("overflows"));
    }

    private static List<RecordedEvent> read(Recording recording, Path dir, String name) throws Exception {
        Path file = dir.resolve(name + ".jfr");
        recording.dump(file);
        return RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }
}
