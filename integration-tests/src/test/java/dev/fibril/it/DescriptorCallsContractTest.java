/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * open, socket, size, truncate and close through the public API, on every backend: from a fibril
 * they are ring requests (io_uring's OPENAT, SOCKET, STATX, FTRUNCATE, CLOSE; the emulated rings
 * take the same ops), so the channel layer makes no synchronous backend call on a carrier; off a
 * carrier they are the backend's synchronous calls. Either way the same results, the same
 * exceptions naming the path, and no descriptor left open. Subclassed once per backend.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
abstract class DescriptorCallsContractTest {
    @TempDir
    Path tempDir;
    FibrilRuntime rt;
    int baseline;

    /** The backend for the builder. */
    abstract Backend backend();

    /** A path for a file of this test. */
    Path file(String name) {
        return tempDir.resolve(name);
    }

    @BeforeEach
    void start() {
        rt = Fibril.runtime().carriers(2).backend(backend()).strict(true).build();
        baseline = rt.backend().openDescriptors();
    }

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} in a fibril of the runtime and rethrows what it threw. */
    void inFibril(Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = rt.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(java.time.Duration.ofSeconds(60)), "fibril did not finish");
        if (failure.get() instanceof Exception e) {
            throw e;
        }
        assertNull(failure.get());
    }

    @Test
    void shouldOpenMeasureTruncateAndCloseAFileOnTheRingFromAFibril() throws Exception {
        Path path = file("a");
        inFibril(() -> {
            try (FibrilFileChannel f = rt.openFile(path, READ, WRITE, CREATE)) {
                assertEquals(10, f.write(ByteBuffer.wrap("0123456789".getBytes()), 0));
                assertEquals(10, f.size());
                f.position(8);
                f.truncate(4);
                assertEquals(4, f.size());
                assertEquals(4, f.position(), "truncate moves a position past the end back to it");
                f.truncate(6); // not smaller: nothing changes, as java.nio's
                assertEquals(4, f.size());
            }
            try (FibrilFileChannel f = rt.openFile(path, READ)) {
                ByteBuffer b = ByteBuffer.allocate(16);
                assertEquals(4, f.read(b, 0));
                assertEquals("0123", new String(b.array(), 0, 4));
            }
        });
        assertEquals(baseline, rt.backend().openDescriptors());
        assertEquals(0, rt.stats().syncCallsOnCarriers(), "a fibril's open, size, truncate and close are ring requests");
    }

    @Test
    void shouldNameThePathWhenAnOpenFails() throws Exception {
        Path missing = file("missing");
        Path existing = file("existing");
        inFibril(() -> {
            ErrnoException e = assertThrows(ErrnoException.class, () -> rt.openFile(missing, READ));
            assertEquals(Errno.ENOENT, e.errno());
            assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
            rt.openFile(existing, WRITE, CREATE).close();
            ErrnoException exists = assertThrows(ErrnoException.class, () -> rt.openFile(existing, WRITE, CREATE_NEW));
            assertEquals(Errno.EEXIST, exists.errno());
            assertTrue(exists.getMessage().contains(existing.toString()), exists.getMessage());
        });
        assertEquals(baseline, rt.backend().openDescriptors());
    }

    @Test
    void shouldOpenAndCloseSocketsOnTheRingFromAFibril() throws Exception {
        inFibril(() -> {
            try (FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 4);
                 FibrilSocketChannel client = rt.openSocket()) {
                client.connect(server.localAddress());
                try (FibrilSocketChannel accepted = server.accept()) {
                    client.write(ByteBuffer.wrap(new byte[] {42}));
                    ByteBuffer one = ByteBuffer.allocate(1);
                    assertEquals(1, accepted.read(one));
                    assertEquals(42, one.get(0));
                }
            }
        });
        assertEquals(baseline, rt.backend().openDescriptors());
        assertEquals(0, rt.stats().syncCallsOnCarriers());
    }

    @Test
    void shouldMakeTheSynchronousCallsOffACarrier() throws Exception {
        Path path = file("platform");
        try (FibrilFileChannel f = rt.openFile(path, READ, WRITE, CREATE)) { // the test's platform thread
            f.write(ByteBuffer.wrap(new byte[8]), 0);
            assertEquals(8, f.size());
            f.truncate(3);
            assertEquals(3, f.size());
        }
        rt.openSocket().close();
        assertEquals(baseline, rt.backend().openDescriptors());
        assertEquals(0, rt.stats().syncCallsOnCarriers(), "a platform thread is not a carrier");
    }

    @Test
    void shouldThrowClosedByInterruptAndOpenNothingForAnInterruptedFibril() throws Exception {
        Path path = file("interrupted");
        inFibril(() -> {
            Thread.currentThread().interrupt();
            assertThrows(ClosedByInterruptException.class, () -> rt.openFile(path, WRITE, CREATE));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status stays set, as java.nio's");
            assertThrows(ClosedByInterruptException.class, rt::openSocket);
            assertTrue(Thread.interrupted());
        });
        assertEquals(baseline, rt.backend().openDescriptors());
    }

    @Test
    void shouldCloseForAnInterruptedFibrilAndKeepItsInterruptStatus() throws Exception {
        Path path = file("closed-interrupted");
        inFibril(() -> {
            FibrilFileChannel f = rt.openFile(path, WRITE, CREATE);
            FibrilSocketChannel s = rt.openSocket();
            Thread.currentThread().interrupt();
            f.close();
            s.close();
            assertTrue(Thread.interrupted(), "close neither swallows nor throws for the interrupt");
            assertFalse(f.isOpen());
        });
        assertEquals(baseline, rt.backend().openDescriptors());
    }

    /**
     * A close while another fibril's accept waits on the socket: the close cancels that request
     * first, and the CLOSE goes only once it has ended (from the accepting fibril, the last call
     * to end), so the fd's number is released with nothing in flight on it.
     */
    @Test
    void shouldCancelAPendingAcceptBeforeTheCloseReleasesTheFd() throws Exception {
        AtomicReference<FibrilServerSocketChannel> server = new AtomicReference<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        inFibril(() -> server.set(rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 4)));
        Thread acceptor = rt.start(() -> {
            try {
                server.get().accept().close();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> acceptor.getState() == Thread.State.WAITING);
        inFibril(() -> server.get().close());
        assertTrue(acceptor.join(java.time.Duration.ofSeconds(30)));
        assertTrue(thrown.get() instanceof java.nio.channels.AsynchronousCloseException, String.valueOf(thrown.get()));
        assertEquals(baseline, rt.backend().openDescriptors());
        assertEquals(0, rt.stats().syncCallsOnCarriers(), "the close was a ring request too");
    }

    @Test
    void shouldBalanceOpensAndClosesOfManyFibrils() throws Exception {
        List<Thread> fibrils = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < 8; i++) {
            Path path = file("many-" + i);
            fibrils.add(rt.start(() -> {
                try {
                    for (int round = 0; round < 100; round++) {
                        try (FibrilFileChannel f = rt.openFile(path, READ, WRITE, CREATE)) {
                            f.write(ByteBuffer.wrap(new byte[round + 1]), 0);
                            if (f.size() != round + 1) {
                                throw new AssertionError("size " + f.size() + " after writing " + (round + 1));
                            }
                        }
                        rt.openSocket().close();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : fibrils) {
            assertTrue(t.join(java.time.Duration.ofSeconds(60)));
        }
        assertNull(failure.get());
        assertEquals(baseline, rt.backend().openDescriptors());
        assertEquals(0, rt.stats().syncCallsOnCarriers());
    }
}
