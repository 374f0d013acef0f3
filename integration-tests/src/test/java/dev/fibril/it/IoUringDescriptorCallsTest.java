/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import com.sun.management.ThreadMXBean;
import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.BackendFeatures;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.internal.jdk.VirtualThreadBridge;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringConfig;
import dev.fibril.syscall.uring.IoUringFeature;
import dev.fibril.syscall.uring.IoUringFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On io_uring a fibril's open, socket, size, truncate and close are OPENAT, SOCKET, STATX,
 * FTRUNCATE and CLOSE requests: no synchronous call on a carrier, unless the op is switched off
 * ({@code -Dfibril.io_uring.<name>=false}, here through the features a backend is built with),
 * when exactly that op falls back to the synchronous call. An open interrupted while the kernel
 * runs it leaves no fd behind.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class IoUringDescriptorCallsTest {
    private static final Set<String> OPS = Set.of("openat", "close", "statx", "ftruncate", "socket");
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    @TempDir
    Path tempDir;
    FibrilRuntime rt;

    @BeforeAll
    static void requireIoUringWithTheOps() {
        assumeTrue(IoUringBackend.probe().available(), () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        for (String op : OPS) {
            IoUringFeature f = IoUringFeature.valueOf(op.toUpperCase(java.util.Locale.ROOT));
            assumeTrue(IoUringBackend.probe().refused(f) == null, () -> op + ": " + IoUringBackend.probe().refused(f));
        }
    }

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    /** A runtime whose io_uring backend has {@code off} switched off, as {@code -Dfibril.io_uring.<name>=false} would. */
    private FibrilRuntime runtime(Set<String> off) {
        return runtime(off, java.time.Duration.ofMillis(5));
    }

    private FibrilRuntime runtime(Set<String> off, java.time.Duration handoffThreshold) {
        IoUringFeatures features = IoUringFeatures.resolve(IoUringBackend.probe(), property ->
                off.contains(property.substring("fibril.io_uring.".length())) ? "false" : null);
        rt = Fibril.runtime().carriers(1).strict(true).handoffThreshold(handoffThreshold)
                .backend(new IoUringBackend(IoUringConfig.DEFAULT, features)).build();
        return rt;
    }

    /** One open, size, truncate (a size and an ftruncate), close and a socket's open and close, in a fibril. */
    private void fileAndSocket(Path path) throws Exception {
        inFibril(() -> {
            try (FibrilFileChannel f = rt.openFile(path, READ, WRITE, CREATE)) {
                f.write(ByteBuffer.wrap(new byte[10]), 0);
                assertEquals(10, f.size());
                f.truncate(3);
            }
            rt.openSocket().close();
        });
    }

    private void inFibril(DescriptorCallsContractTest.Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = rt.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(java.time.Duration.ofSeconds(60)));
        if (failure.get() instanceof Exception e) {
            throw e;
        }
        assertNull(failure.get());
    }

    @Test
    void shouldReportTheOpsAsFeaturesInUse() {
        BackendFeatures features = runtime(Set.of()).backendFeatures();
        assertTrue(features.active().containsAll(OPS), features.toString());
    }

    @Test
    void shouldMakeNoSynchronousCallOnACarrier() throws Exception {
        runtime(Set.of());
        int baseline = rt.backend().openDescriptors();
        fileAndSocket(tempDir.resolve("ring"));
        assertEquals(0, rt.stats().syncCallsOnCarriers());
        assertEquals(baseline, rt.backend().openDescriptors());
    }

    @Test
    void shouldFallBackToTheSynchronousCallsWhenTheOpsAreSwitchedOff() throws Exception {
        runtime(OPS);
        BackendFeatures features = rt.backendFeatures();
        assertEquals("switched off by -Dfibril.io_uring.statx=false", features.disabled().get("statx"));
        int baseline = rt.backend().openDescriptors();
        fileAndSocket(tempDir.resolve("sync"));
        // open, size, the size truncate checks first, ftruncate, close; socket, close
        assertEquals(7, rt.stats().syncCallsOnCarriers());
        assertEquals(baseline, rt.backend().openDescriptors());
    }

    @Test
    void shouldFallBackForTheSwitchedOffOpOnly() throws Exception {
        runtime(Set.of("statx"));
        fileAndSocket(tempDir.resolve("statx-off"));
        assertEquals(2, rt.stats().syncCallsOnCarriers(), "size() and the size truncate checks first");
    }

    /**
     * A FIFO's open for writing waits in the kernel (io-wq, as O_CREAT sends it there) until a reader
     * comes. The fibril is interrupted while it waits: the cancel stops the open, or the open
     * completes once the test opens the FIFO's other end; either way openFile throws
     * ClosedByInterruptException and no fd stays open.
     */
    @Test
    void shouldLeaveNoFdWhenAnOpenIsInterruptedWhileTheKernelRunsIt() throws Exception {
        runtime(Set.of());
        Path fifo = tempDir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        int baseline = rt.backend().openDescriptors();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread t = rt.start(() -> {
            try {
                rt.openFile(fifo, WRITE, CREATE).close();
            } catch (Throwable e) {
                thrown.set(e);
            }
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        await().atMost(java.time.Duration.ofSeconds(30)).until(() -> t.getState() == Thread.State.WAITING);
        t.interrupt();
        // O_RDWR on a FIFO never waits on Linux: it lets a writer's open still waiting complete
        try (RandomAccessFile reader = new RandomAccessFile(fifo.toFile(), "rw")) {
            assertTrue(t.join(java.time.Duration.ofSeconds(30)));
        }
        assertInstanceOf(ClosedByInterruptException.class, thrown.get());
        assertTrue(stillInterrupted.get());
        assertEquals(baseline, rt.backend().openDescriptors());
    }

    /**
     * Bytes the carrier's thread allocates per openFile and close: through the ring, not more than
     * through the synchronous calls (whose confined arena and native copy of the path the ring
     * replaces with the path's bytes and a buffer over them; the kernel's copy is a pooled native
     * buffer the in-flight slot holds until the completion).
     */
    @Test
    void shouldAllocateNoMorePerOpenOnTheRingThanTheSynchronousCallDid() throws Exception {
        long ring = bytesPerOpen(Set.of());
        rt.close();
        long sync = bytesPerOpen(Set.of("openat", "close"));
        System.out.println("bytes allocated per openFile + close: ring " + ring + ", synchronous " + sync);
        assertTrue(ring <= sync, "ring " + ring + " B per open, synchronous " + sync + " B");
    }

    private long bytesPerOpen(Set<String> off) throws Exception {
        runtime(off, java.time.Duration.ZERO); // no hand-off: one thread drives the carrier, so its count is the carrier's
        Path path = tempDir.resolve("alloc");
        rt.openFile(path, WRITE, CREATE).close();
        int rounds = 5_000;
        AtomicLong allocated = new AtomicLong();
        inFibril(() -> {
            opens(path, rounds); // warm-up
            long before = THREADS.getThreadAllocatedBytes(VirtualThreadBridge.carrierOf(Thread.currentThread()).threadId());
            opens(path, rounds);
            allocated.set(THREADS.getThreadAllocatedBytes(VirtualThreadBridge.carrierOf(Thread.currentThread()).threadId()) - before);
        });
        return allocated.get() / rounds;
    }

    private void opens(Path path, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            rt.openFile(path, READ).close();
        }
    }
}
