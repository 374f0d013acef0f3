/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.sim.Fault;
import dev.fibril.syscall.sim.Latency;
import dev.fibril.syscall.sim.ManualClock;
import dev.fibril.syscall.sim.SimulatedKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On the simulated kernel a fibril's open, socket, size, truncate and close are ring requests, so
 * the kernel's latency and its seeded faults reach them: EINTR is retried inside the runtime
 * (but a CLOSE's, after which the fd is gone, as on Linux), the same seed injects the same faults,
 * and an open whose fibril is interrupted while its completion is held back by latency, which a
 * cancel cannot stop, has its fd closed before openFile throws.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SimulatedDescriptorCallsTest {
    private static final int ROUNDS = 200;

    /** Opens, measures, truncates and closes files and sockets; returns the EINTR faults injected. */
    private static long underEintr(long seed) throws Exception {
        SimulatedKernel kernel = SimulatedKernel.builder().seed(seed).fault(Fault.EINTR, 0.3).build();
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).strict(true).backend(kernel).build()) {
            int baseline = kernel.openDescriptors();
            run(rt, () -> {
                for (int i = 0; i < ROUNDS; i++) {
                    try (FibrilFileChannel f = rt.openFile(Path.of("/eintr-" + (i % 4)), READ, WRITE, CREATE)) {
                        f.write(ByteBuffer.wrap(new byte[8]), 0);
                        assertEquals(8, f.size());
                        f.truncate(5);
                        assertEquals(5, f.size());
                    }
                    rt.openSocket().close();
                }
            });
            assertEquals(baseline, kernel.openDescriptors(), "an EINTR'd close released its fd, and nothing closed twice");
            assertTrue(rt.stats().retries() > 0);
            assertEquals(0, rt.stats().syncCallsOnCarriers());
            return kernel.faultsInjected(Fault.EINTR);
        }
    }

    @Test
    void shouldRetryEintrOfTheDescriptorCallsAndReplayItsFaultsFromTheSeed() throws Exception {
        long first = underEintr(42);
        assertTrue(first > ROUNDS, "faults were injected: " + first);
        assertEquals(first, underEintr(42), "the same seed, the same submissions: the same faults");
    }

    /**
     * Fibrils of one carrier open and close at once under EINTR, so a CLOSE and another fibril's
     * OPENAT go in one flush: the OPENAT gets the number the CLOSE released. Were the EINTR'd CLOSE
     * retried, it would close the other fibril's file (its next call: EBADF).
     */
    @Test
    void shouldNeverRetryAClose() throws Exception {
        SimulatedKernel kernel = SimulatedKernel.builder().seed(3).fault(Fault.EINTR, 0.3).build();
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).strict(true).backend(kernel).build()) {
            int baseline = kernel.openDescriptors();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] fibrils = new Thread[4];
            for (int n = 0; n < fibrils.length; n++) {
                Path path = Path.of("/shared-" + n);
                fibrils[n] = rt.start(() -> {
                    try {
                        for (int i = 0; i < ROUNDS; i++) {
                            try (FibrilFileChannel f = rt.openFile(path, READ, WRITE, CREATE)) {
                                f.write(ByteBuffer.wrap(new byte[4]), 0);
                                Thread.yield();
                                assertEquals(4, f.size());
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            for (Thread t : fibrils) {
                assertTrue(t.join(Duration.ofSeconds(60)));
            }
            assertNull(failure.get());
            assertEquals(baseline, kernel.openDescriptors());
            assertTrue(kernel.faultsInjected(Fault.EINTR) > 0);
        }
    }

    @Test
    void shouldCloseTheFdOfAnOpenThatCompletesAfterItsFibrilWasInterrupted() throws Exception {
        ManualClock clock = new ManualClock();
        SimulatedKernel kernel = SimulatedKernel.builder().clock(clock)
                .latency(Op.OPENAT, Latency.fixed(Duration.ofMillis(10))).build();
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).strict(true).backend(kernel).build()) {
            int baseline = kernel.openDescriptors();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
            Thread t = rt.start(() -> {
                try {
                    rt.openFile(Path.of("/late"), WRITE, CREATE).close();
                } catch (Throwable e) {
                    thrown.set(e);
                }
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            });
            // the OPENAT ran (the file exists) and its completion waits for the clock
            await().atMost(Duration.ofSeconds(30)).until(() -> t.getState() == Thread.State.WAITING
                    && kernel.fileContent("/late") != null);
            t.interrupt();
            await().atMost(Duration.ofSeconds(30)).until(() -> rt.stats().cancels() > 0);
            assertEquals(baseline + 1, kernel.openDescriptors(), "the cancel did not stop the open: its fd is made");
            clock.advance(Duration.ofSeconds(1));
            assertTrue(t.join(Duration.ofSeconds(30)));
            assertInstanceOf(ClosedByInterruptException.class, thrown.get());
            assertTrue(stillInterrupted.get());
            assertEquals(baseline, kernel.openDescriptors(), "the fd the kernel opened anyway was closed");
            assertNotNull(kernel.fileContent("/late"));
        }
    }

    /**
     * With the carrier's only descriptor held by a receive that waits for a byte, a close neither
     * waits for a descriptor nor hangs: it is the synchronous call (counted), and the receive's
     * peer can still be closed to end it.
     */
    @Test
    void shouldCloseSynchronouslyWhenThePoolIsAtItsBound() throws Exception {
        SimulatedKernel kernel = SimulatedKernel.builder().build();
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).strict(true).backend(kernel)
                .descriptorPoolSize(1).descriptorPoolBound(1).build()) {
            int baseline = kernel.openDescriptors();
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 4);
            FibrilSocketChannel client = rt.openSocket();
            client.connect(server.localAddress());
            FibrilSocketChannel accepted = server.accept();
            FibrilFileChannel file = rt.openFile(Path.of("/at-bound"), WRITE, CREATE);
            Thread reader = rt.start(() -> {
                try {
                    accepted.read(ByteBuffer.allocate(1));
                } catch (Exception expected) {
                    // ends when the client's end closes
                }
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> reader.getState() == Thread.State.WAITING
                    && rt.stats().descriptorsInUse() == 1);
            run(rt, file::close);
            assertEquals(1, rt.stats().syncCallsOnCarriers(), "the close went without the ring");
            assertEquals(0, rt.stats().descriptorWaits(), "and did not wait for a descriptor");
            client.close();
            assertTrue(reader.join(Duration.ofSeconds(30)));
            accepted.close();
            server.close();
            assertEquals(baseline, kernel.openDescriptors());
        }
    }

    private static void run(FibrilRuntime rt, DescriptorCallsContractTest.Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = rt.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(60)));
        if (failure.get() instanceof Exception e) {
            throw e;
        }
        assertNull(failure.get());
    }
}
