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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one fibril does on a carrier must not stop or break the other fibrils of that carrier: a
 * fibril that is always runnable must not starve timers and socket wake-ups, and an interrupted
 * fibril's call must not break another fibril's file. Every runtime here has one carrier, so all
 * fibrils share it. Subclassed once per backend.
 */
abstract class CarrierNeighboursContractTest {
    @TempDir
    Path tempDir;
    FibrilRuntime rt;

    /** The backend's name for the builder. */
    abstract String backend();

    /** Where this backend's files live: the temporary directory, or the simulated kernel's namespace. */
    Path file(String name) {
        return tempDir.resolve(name);
    }

    @BeforeEach
    void start() {
        rt = Fibril.runtime().carriers(1).backend(backend()).strict(true).build();
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

    /** Starts {@code body} in a fibril; what it throws lands in {@code failure}. */
    Thread fibril(AtomicReference<Throwable> failure, Body body) {
        return rt.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
    }

    @Test
    void shouldDeliverTimersAndSocketWakeUpsWhileAFibrilSpinsOnNopsAndFileReads() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        FibrilFileChannel f = rt.openFile(file("spin"), READ, WRITE, CREATE);
        f.write(ByteBuffer.wrap(new byte[4096]), 0);
        FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
        FibrilSocketChannel client = rt.openSocket();
        AtomicReference<FibrilSocketChannel> accepted = new AtomicReference<>();
        Thread acceptor = fibril(failure, () -> accepted.set(server.accept()));
        client.connect(server.localAddress());
        assertTrue(acceptor.join(Duration.ofSeconds(30)), "accept returned");
        FibrilSocketChannel peer = accepted.get();

        // The spinners stop only when told to, after the others have returned: until then the
        // carrier always has a runnable fibril, and never a reason to wait in the kernel.
        AtomicLong nops = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong stopSpinning = new AtomicLong();
        Thread nopSpinner = fibril(failure, () -> {
            while (stopSpinning.get() == 0) {
                Fibril.nop();
                nops.incrementAndGet();
            }
        });
        Thread readSpinner = fibril(failure, () -> {
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            while (stopSpinning.get() == 0) {
                f.read(b.clear(), 0);
                reads.incrementAndGet();
            }
        });
        try {
            whileSpinning(failure, client, peer, nopSpinner, readSpinner, nops, reads);
        } finally {
            stopSpinning.set(1);
        }
        assertTrue(nopSpinner.join(Duration.ofSeconds(30)) && readSpinner.join(Duration.ofSeconds(30)));
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        client.close();
        peer.close();
        server.close();
        f.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    private void whileSpinning(AtomicReference<Throwable> failure, FibrilSocketChannel client, FibrilSocketChannel peer,
                               Thread nopSpinner, Thread readSpinner, AtomicLong nops, AtomicLong reads) throws Exception {
        await().atMost(30, TimeUnit.SECONDS).until(() -> nops.get() > 1000 && reads.get() > 1000);

        Thread sleeper = fibril(failure, () -> Fibril.sleep(Duration.ofMillis(100)));
        ByteBuffer got = ByteBuffer.allocate(5);
        Thread reader = fibril(failure, () -> {
            while (got.hasRemaining()) {
                if (client.read(got) < 0) {
                    throw new AssertionError("end of stream");
                }
            }
        });
        // The reader must be parked on its socket before the peer writes, so that only the
        // backend's readiness (not a read that finds the data) can wake it.
        await().atMost(30, TimeUnit.SECONDS).until(() -> reader.getState() == Thread.State.WAITING);
        Thread writer = new Thread(() -> {
            try {
                peer.write(ByteBuffer.wrap("hello".getBytes()));
            } catch (Exception e) {
                failure.compareAndSet(null, e);
            }
        });
        writer.start();

        await().atMost(10, TimeUnit.SECONDS).until(() -> !sleeper.isAlive() && !reader.isAlive());
        assertTrue(nopSpinner.isAlive() && readSpinner.isAlive(), "the spinners were still spinning");
        writer.join();
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        assertArrayEquals("hello".getBytes(), got.array());
    }
    @Test
    void shouldKeepOtherFilesAndTheFileItselfUsableWhenAnInterruptedFibrilReads() throws Exception {
        byte[] one = "file one".getBytes();
        byte[] two = "file two".getBytes();
        try (FibrilFileChannel w1 = rt.openFile(file("one"), READ, WRITE, CREATE);
             FibrilFileChannel w2 = rt.openFile(file("two"), READ, WRITE, CREATE)) {
            w1.write(ByteBuffer.wrap(one), 0);
            w2.write(ByteBuffer.wrap(two), 0);
        }
        FibrilFileChannel f1 = rt.openFile(file("one"), READ);
        FibrilFileChannel f2 = rt.openFile(file("two"), READ);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Object> interruptedOutcome = new AtomicReference<>();
        AtomicLong goodReads = new AtomicLong();
        AtomicReference<Thread> b = new AtomicReference<>();
        AtomicReference<Thread> a = new AtomicReference<>();
        // One carrier: B runs first and parks on its read of file two, unflushed, as A is ready;
        // then A, interrupted, reads file one and flushes both reads on its own stack.
        Thread parent = fibril(failure, () -> {
            b.set(fibril(failure, () -> {
                for (int i = 0; i < 100; i++) {
                    ByteBuffer got = ByteBuffer.allocate(two.length);
                    assertEquals(two.length, f2.read(got, 0), "read " + i + " of file two");
                    assertArrayEquals(two, got.array());
                    goodReads.incrementAndGet();
                }
            }));
            a.set(fibril(failure, () -> {
                Thread.currentThread().interrupt();
                try {
                    ByteBuffer got = ByteBuffer.allocate(one.length);
                    int n = f1.read(got, 0);
                    interruptedOutcome.set(n == one.length && java.util.Arrays.equals(one, got.array())
                            ? "data" : "read " + n + " bytes: " + new String(got.array(), 0, Math.max(n, 0)));
                } catch (java.nio.channels.ClosedByInterruptException e) {
                    interruptedOutcome.set(e);
                } catch (Throwable e) {
                    interruptedOutcome.set("threw " + e);
                }
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status survives the call");
            }));
        });
        assertTrue(parent.join(Duration.ofSeconds(30)));
        assertTrue(b.get().join(Duration.ofSeconds(30)) && a.get().join(Duration.ofSeconds(30)));
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        assertEquals(100, goodReads.get(), "every read of file two succeeded");
        Object outcome = interruptedOutcome.get();
        assertTrue("data".equals(outcome) || outcome instanceof java.nio.channels.ClosedByInterruptException,
                "the interrupted read returns its data or throws ClosedByInterruptException: " + outcome);
        if (outcome instanceof java.nio.channels.ClosedByInterruptException) {
            assertTrue(!f1.isOpen(), "ClosedByInterruptException closes the channel");
        }
        fibril(failure, () -> {
            if (f1.isOpen()) { // an open channel must work
                ByteBuffer got = ByteBuffer.allocate(one.length);
                assertEquals(one.length, f1.read(got, 0), "the interrupted fibril's channel, still open");
                assertArrayEquals(one, got.array());
            }
            try (FibrilFileChannel again = rt.openFile(file("one"), READ)) {
                ByteBuffer got = ByteBuffer.allocate(one.length);
                assertEquals(one.length, again.read(got, 0), "file one opened again");
                assertArrayEquals(one, got.array());
            }
            ByteBuffer got = ByteBuffer.allocate(two.length);
            assertEquals(two.length, f2.read(got, 0), "file two, afterwards");
        }).join(Duration.ofSeconds(30));
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        f1.close();
        f2.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }
    @Test
    @Tag("slow")
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldKeepFilesConsistentWhileAFibrilReadingThemIsInterruptedALot() throws Exception {
        byte[] one = "file one".getBytes();
        byte[] two = "file two".getBytes();
        try (FibrilFileChannel w1 = rt.openFile(file("one"), READ, WRITE, CREATE);
             FibrilFileChannel w2 = rt.openFile(file("two"), READ, WRITE, CREATE)) {
            w1.write(ByteBuffer.wrap(one), 0);
            w2.write(ByteBuffer.wrap(two), 0);
        }
        FibrilFileChannel f1 = rt.openFile(file("one"), READ);
        FibrilFileChannel f2 = rt.openFile(file("two"), READ);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Throwable> interruptedOutcome = new AtomicReference<>();
        AtomicLong stop = new AtomicLong();
        AtomicLong aReads = new AtomicLong();
        Thread b = fibril(failure, () -> {
            ByteBuffer got = ByteBuffer.allocate(two.length);
            while (stop.get() == 0) {
                assertEquals(two.length, f2.read(got.clear(), 0), "a read of file two");
            }
        });
        Thread a = fibril(failure, () -> {
            ByteBuffer got = ByteBuffer.allocate(one.length);
            try {
                while (stop.get() == 0) {
                    f1.read(got.clear(), 0);
                    aReads.incrementAndGet();
                    Thread.interrupted();
                }
            } catch (Throwable e) {
                interruptedOutcome.set(e);
            }
        });
        Thread interrupter = new Thread(() -> {
            for (int i = 0; i < 20_000 && a.isAlive(); i++) {
                a.interrupt();
                for (int spin = 0; spin < 200; spin++) {
                    Thread.onSpinWait();
                }
            }
        });
        interrupter.start();
        interrupter.join();
        stop.set(1);
        assertTrue(a.join(Duration.ofSeconds(30)) && b.join(Duration.ofSeconds(30)));
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        Throwable outcome = interruptedOutcome.get();
        System.out.println("[" + backend() + "] interrupted reader: " + aReads.get() + " reads, then " + outcome);
        assertTrue(outcome == null || outcome instanceof java.nio.channels.ClosedByInterruptException,
                () -> "the interrupted reader gets data or ClosedByInterruptException: " + outcome);
        assertEquals(outcome == null, f1.isOpen(), "closed exactly when ClosedByInterruptException said so");
        fibril(failure, () -> {
            if (f1.isOpen()) {
                ByteBuffer got = ByteBuffer.allocate(one.length);
                assertEquals(one.length, f1.read(got, 0), "the interrupted fibril's channel, still open");
            }
            ByteBuffer got = ByteBuffer.allocate(two.length);
            assertEquals(two.length, f2.read(got, 0), "file two, afterwards");
        }).join(Duration.ofSeconds(30));
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        f1.close();
        f2.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }
}
