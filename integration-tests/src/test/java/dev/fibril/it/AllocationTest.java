/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import com.sun.management.ThreadMXBean;
import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.internal.jdk.VirtualThreadBridge;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bytes allocated per simulated read on a warmed carrier, counted by the JVM for the carrier
 * thread (fibrils allocate on their carrier's TLAB, so this includes the fibrils' own code, the
 * JDK's park/unpark and the carrier loop).
 */
class AllocationTest {
    private static final int WARMUP = 200_000;
    private static final int MEASURED = 200_000;
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long carrierAllocatedBytes() {
        return THREADS.getThreadAllocatedBytes(VirtualThreadBridge.carrierOf(Thread.currentThread()).threadId());
    }

    private static void reads(FibrilFileChannel f, ByteBuffer buf, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            buf.clear();
            f.read(buf, (i & 7) * 64L);
        }
    }

    @Test
    void shouldAllocateUnderOneBytePerReadWhenCompletionsAreTakenInline() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").strict(true).build();
             FibrilFileChannel f = rt.openFile(Path.of("/alloc"), READ, WRITE, CREATE)) {
            f.write(ByteBuffer.allocate(4096), 0);
            AtomicLong allocated = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = rt.start(() -> {
                try {
                    ByteBuffer buf = ByteBuffer.allocateDirect(64);
                    reads(f, buf, WARMUP);
                    long before = carrierAllocatedBytes();
                    reads(f, buf, MEASURED);
                    allocated.set(carrierAllocatedBytes() - before);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            assertTrue(t.join(Duration.ofMinutes(2)));
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            double perCall = (double) allocated.get() / MEASURED;
            System.out.printf("allocation, inline completions: %.4f B/read (%d B over %d reads)%n", perCall, allocated.get(), MEASURED);
            assertTrue(perCall < 1.0, "bytes per read: " + perCall);
        }
    }

    @Test
    void shouldAllocateUnderOneBytePerIoUringSocketRoundTrip() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.fibril.syscall.uring.IoUringBackend.probe().available(),
                "io_uring cannot run here: " + dev.fibril.syscall.uring.IoUringBackend.probe().reason());
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("io_uring").strict(true).build();
             dev.fibril.aio.FibrilServerSocketChannel server = rt.openServerSocket()
                     .bind(new java.net.InetSocketAddress("127.0.0.1", 0), 4)) {
            AtomicLong allocated = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int rounds = 50_000;
            Thread echo = rt.start(() -> {
                try (dev.fibril.aio.FibrilSocketChannel s = server.accept()) {
                    ByteBuffer buf = ByteBuffer.allocateDirect(64);
                    while (s.read(buf.clear()) >= 0) {
                        s.write(buf.flip());
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            Thread client = rt.start(() -> {
                try (dev.fibril.aio.FibrilSocketChannel s = rt.openSocket()) {
                    s.connect(server.localAddress());
                    ByteBuffer out = ByteBuffer.allocateDirect(64);
                    ByteBuffer in = ByteBuffer.allocateDirect(64);
                    for (int phase = 0; phase < 2; phase++) { // warm up, then measure
                        long before = carrierAllocatedBytes();
                        for (int i = 0; i < rounds; i++) {
                            s.write(out.clear());
                            in.clear();
                            while (in.hasRemaining()) {
                                s.read(in);
                            }
                        }
                        allocated.set(carrierAllocatedBytes() - before);
                    }
                    s.shutdownOutput();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            assertTrue(client.join(Duration.ofMinutes(2)) && echo.join(Duration.ofMinutes(2)));
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            double perCall = (double) allocated.get() / (4.0 * rounds); // send+recv on each side
            System.out.printf("allocation, io_uring socket round trip: %.4f B/call (%d B over %d calls)%n",
                    perCall, allocated.get(), 4 * rounds);
            assertTrue(perCall < 1.0, "bytes per socket call: " + perCall);
        }
    }

    /**
     * The Jetty connector's path: an echo whose every message is a {@code receiveLater} task on a
     * spare fibril ({@code receive}, {@code sendLater} back, {@code release}, arm again), against a
     * client fibril's write and read, all on one io_uring carrier.
     */
    @Test
    void shouldAllocateUnderOneBytePerCallWhenReceivesAreArmedAndSendsGoLater() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.fibril.syscall.uring.IoUringBackend.probe().available(),
                "io_uring cannot run here: " + dev.fibril.syscall.uring.IoUringBackend.probe().reason());
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("io_uring").strict(true).build();
             dev.fibril.aio.FibrilServerSocketChannel server = rt.openServerSocket()
                     .bind(new java.net.InetSocketAddress("127.0.0.1", 0), 4)) {
            AtomicLong allocated = new AtomicLong();
            AtomicLong served = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int rounds = 50_000;
            rt.start(() -> {
                try {
                    dev.fibril.aio.FibrilSocketChannel s = server.accept();
                    Runnable[] echo = new Runnable[1];
                    echo[0] = () -> {
                        try {
                            ByteBuffer got = s.receive();
                            if (got == null) {
                                s.close();
                                return;
                            }
                            if (s.sendLater(got) == 0) { // taken and sent without waiting, as the Jetty end point does
                                throw new AssertionError("sendLater took nothing: a send still in flight?");
                            }
                            s.release(got);
                            served.incrementAndGet();
                            s.receiveLater(echo[0]);
                        } catch (Throwable e) {
                            failure.set(e);
                        }
                    };
                    s.receiveLater(echo[0]);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            Thread client = rt.start(() -> {
                try (dev.fibril.aio.FibrilSocketChannel s = rt.openSocket()) {
                    s.connect(server.localAddress());
                    ByteBuffer out = ByteBuffer.allocateDirect(64);
                    ByteBuffer in = ByteBuffer.allocateDirect(64);
                    for (int phase = 0; phase < 2; phase++) { // warm up, then measure
                        long before = carrierAllocatedBytes();
                        for (int i = 0; i < rounds; i++) {
                            s.write(out.clear());
                            in.clear();
                            while (in.hasRemaining()) {
                                s.read(in);
                            }
                        }
                        allocated.set(carrierAllocatedBytes() - before);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            assertTrue(client.join(Duration.ofMinutes(2)));
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertTrue(served.get() >= 2L * rounds - 1, "the armed echo answered " + served.get() + " messages");
            double perCall = (double) allocated.get() / (4.0 * rounds); // the client's send+recv, the echo's receive+send
            System.out.printf("allocation, receiveLater/sendLater echo: %.4f B/call (%d B over %d calls)%n",
                    perCall, allocated.get(), 4 * rounds);
            assertTrue(perCall < 1.0, "bytes per socket call: " + perCall);
        }
    }

    @Test
    void shouldAllocateUnderOneBytePerReadWhenFibrilsParkAndResume() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").strict(true).build();
             FibrilFileChannel f = rt.openFile(Path.of("/alloc"), READ, WRITE, CREATE)) {
            f.write(ByteBuffer.allocate(4096), 0);
            CyclicBarrier warmed = new CyclicBarrier(2);
            CyclicBarrier finished = new CyclicBarrier(2);
            AtomicLong allocated = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Runnable worker = () -> {
                try {
                    ByteBuffer buf = ByteBuffer.allocateDirect(64);
                    reads(f, buf, WARMUP);
                    boolean measurer = warmed.await() == 0;
                    long before = measurer ? carrierAllocatedBytes() : 0;
                    reads(f, buf, MEASURED);
                    finished.await();
                    if (measurer) {
                        allocated.set(carrierAllocatedBytes() - before);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            };
            long parksBefore = rt.stats().parks();
            Thread a = rt.start(worker);
            Thread b = rt.start(worker);
            assertTrue(a.join(Duration.ofMinutes(2)) && b.join(Duration.ofMinutes(2)));
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            RuntimeStats stats = rt.stats();
            assertTrue(stats.parks() - parksBefore > MEASURED, "two fibrils on one carrier park and resume: " + stats);
            double perCall = (double) allocated.get() / (2.0 * MEASURED);
            System.out.printf("allocation, park/resume: %.4f B/read (%d B over %d reads, %d parks)%n",
                    perCall, allocated.get(), 2 * MEASURED, stats.parks() - parksBefore);
            assertTrue(perCall < 1.0, "bytes per read: " + perCall);
        }
    }
}
