/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every backend contract test stands on: one backend and one ring per test, driven on the test
 * thread through the SPI only, and the check that a test leaves nothing behind (no request in flight,
 * no descriptor open). A backend's subclass names its {@link BackendKind}; a test that needs more than
 * every backend does says so with {@link #require}; the contract's tests never name a backend.
 */
public abstract class BackendFixture {
    protected final BackendKind kind;
    protected Backend backend;
    protected CompletionRing ring;
    protected RingDriver driver;
    @TempDir
    protected Path dir;
    private final List<Integer> fds = new ArrayList<>();
    private int descriptorsBefore;

    protected BackendFixture(BackendKind kind) {
        this.kind = kind;
    }

    /** Skips the test, naming the capability, where the backend under test lacks it. */
    protected void require(Capability capability) {
        assumeTrue(kind.has(capability), () -> kind + " lacks " + capability);
    }

    @BeforeEach
    final void openRing() {
        backend = kind.open();
        descriptorsBefore = backend.openDescriptors();
        ring = backend.openRing(0);
        driver = new RingDriver(ring);
    }

    @AfterEach
    final void closeRing() {
        if (ring == null) {
            return;
        }
        try {
            assertEquals(0, ring.inFlight(), "requests left in flight");
            kind.checkQuiet(ring);
            for (int fd : fds) {
                backend.close(fd);
            }
            ring.close();
            assertEquals(descriptorsBefore, backend.openDescriptors(), "descriptors left open");
        } finally {
            backend.close();
        }
    }

    /** An fd the fixture closes after the test. */
    protected int track(int fd) {
        assertTrue(fd >= 0, "expected a descriptor, got " + fd);
        fds.add(fd);
        return fd;
    }

    /** Closes a tracked fd now, expecting success. */
    protected void closeNow(int fd) {
        assertEquals(0, backend.close(fd));
        fds.remove((Integer) fd);
    }

    /** Descriptors the test has open now, of the backend's count. */
    protected int openedSinceStart() {
        return backend.openDescriptors() - descriptorsBefore;
    }

    /** A new TCP socket, closed after the test. */
    protected int socket() {
        return track(backend.socket());
    }

    /** A socket listening on {@code host}, port 0, closed after the test. */
    protected int listener(String host, int backlog) {
        int fd = socket();
        assertEquals(0, backend.listen(fd, new InetSocketAddress(host, 0), backlog));
        return fd;
    }

    /** A connected TCP pair over loopback, {client, accepted}, made with CONNECT and ACCEPT on the ring. */
    protected int[] connectedPair() {
        int[] pair = driver.connectedPair(backend);
        return new int[] {track(pair[0]), track(pair[1])};
    }

    /** The path of {@code name} in the test's folder. */
    protected String path(String name) {
        return dir.resolve(name).toString();
    }

    /** Opens {@code name} in the test's folder, expecting success; closed after the test. */
    protected int open(String name, int flags) {
        int fd = backend.open(path(name), flags, 0644);
        assertTrue(fd >= 0, "open " + name + ": " + fd);
        return track(fd);
    }

    protected IoRequest read(int fd, ByteBuffer buffer, int position, int length, long offset) {
        return driver.request(Op.READ, fd, buffer, position, length, offset);
    }

    protected IoRequest write(int fd, ByteBuffer buffer, int position, int length, long offset) {
        return driver.request(Op.WRITE, fd, buffer, position, length, offset);
    }

    protected static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** A file of {@code content} in the test's folder, open read-write. */
    protected int file(String name, byte[] content) {
        int fd = track(backend.open(dir.resolve(name).toString(), Backend.O_RDWR | Backend.O_CREAT | Backend.O_TRUNC, 0644));
        if (content.length > 0) {
            assertEquals(content.length, driver.run(driver.request(Op.WRITE, fd, ByteBuffer.wrap(content), 0, content.length, 0)));
        }
        return fd;
    }

    protected IoRequest nop() {
        return driver.request(Op.NOP, -1, null, 0, 0, 0);
    }

    protected IoRequest recv(int fd, int length) {
        return driver.request(Op.RECV, fd, ByteBuffer.allocate(length), 0, length, 0);
    }

    protected IoRequest timeout(long nanos) {
        return driver.request(Op.TIMEOUT, -1, null, 0, 0, nanos);
    }

    protected IoRequest linkTimeout(long nanos) {
        return driver.request(Op.LINK_TIMEOUT, -1, null, 0, 0, nanos);
    }

    protected int send(int fd, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return driver.run(driver.request(Op.SEND, fd, ByteBuffer.wrap(bytes), 0, bytes.length, 0));
    }

    protected static String text(IoRequest r, int length) {
        byte[] bytes = new byte[length];
        r.buffer().get(r.position(), bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /**
     * Bytes the test thread allocates per run of {@code cycle}: warmed up until a round of 10,000
     * allocates nothing (the JIT has compiled the path: interpreted and C1 downcalls still
     * allocate) or 40 rounds passed, then measured over 50,000 runs, after which nothing may be in flight.
     */
    protected double bytesPerCycle(String name, Runnable cycle) {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int warmupRound = 10_000;
        int measured = 50_000;
        int rounds = 0;
        long allocated;
        do {
            long start = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < warmupRound; i++) {
                cycle.run();
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - start;
        } while (++rounds < 40 && allocated > 0);
        long calls = ring.kernelCalls();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < measured; i++) {
            cycle.run();
        }
        double perOp = (double) (threads.getCurrentThreadAllocatedBytes() - before) / measured;
        System.out.printf("[%s] %s: %.4f bytes allocated, %.2f kernel calls per cycle over %d cycles, after %d warm-up cycles%n",
                kind, name, perOp, (double) (ring.kernelCalls() - calls) / measured, measured, rounds * warmupRound);
        assertEquals(0, ring.inFlight(), "every request completes in its cycle");
        return perOp;
    }
}
