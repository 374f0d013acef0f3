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
import dev.fibril.syscall.uring.IoUringBackend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * 10,000 bad calls against io_uring: closed channels, huge lengths, offsets past the end,
 * read-only buffers, wrong directions, interrupted callers and closes racing with calls. The JVM
 * survives, every call ends with a standard exception that says what was wrong (or a legal
 * result), and no descriptor, fd or native buffer is left behind.
 */
@Tag("slow")
class BadCallsALot {
    @TempDir
    Path dir;

    @Test
    void shouldAnswerTenThousandBadCallsCleanly() throws Exception {
        assumeTrue(IoUringBackend.probe().available(), "io_uring cannot run here: " + IoUringBackend.probe().reason());
        // The first runtime of a JVM starts the JDK's socket pollers, whose epoll fds live as long
        // as the JVM: counting after one runtime has come and gone keeps them out of the baseline.
        Fibril.runtime().carriers(2).backend("io_uring").strict(true).build().close();
        long fdsBefore = openFds();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        try (FibrilRuntime rt = Fibril.runtime().carriers(2).backend("io_uring").strict(true).build()) {
            Path path = dir.resolve("data");
            Files.write(path, new byte[4096]);
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 256);
            InetSocketAddress address = server.localAddress();
            Thread acceptor = rt.start(() -> holdConnections(rt, server));
            Thread[] workers = new Thread[20];
            for (int w = 0; w < workers.length; w++) {
                long seed = w;
                workers[w] = rt.start(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    for (int i = 0; i < 500; i++) {
                        String outcome = badCall(rt, path, server, address, random.nextInt(9));
                        outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
                    }
                });
            }
            for (Thread t : workers) {
                assertTrue(t.join(Duration.ofMinutes(3)), () -> "worker " + StuckReport.of(rt, t));
            }
            server.close();
            assertTrue(acceptor.join(Duration.ofSeconds(30)));
            // Every holder sees its client close: a client socket the runtime failed to close keeps one alive.
            await().untilAsserted(() -> assertEquals(0, rt.stats().fibrilsAlive(),
                    () -> "fibrils still alive; open descriptors " + rt.backend().openDescriptors() + ", " + rt.stats()));
            assertEquals(0, rt.stats().descriptorsInUse(), "descriptors leaked: " + rt.stats());
            assertEquals(0, rt.stats().staleCompletions());
        }
        int total = outcomes.values().stream().mapToInt(AtomicInteger::get).sum();
        assertEquals(10_000, total);
        assertTrue(outcomes.keySet().stream().noneMatch(k -> k.startsWith("UNEXPECTED")), "outcomes: " + outcomes);
        await().untilAsserted(() -> assertTrue(openFds() <= fdsBefore,
                () -> fdsBefore + " fds open before, now: " + describeOpenFds()));
    }

    /** Accepts every connection and keeps it open (sending nothing) until its client closes it. */
    private static void holdConnections(FibrilRuntime rt, FibrilServerSocketChannel server) {
        while (true) {
            FibrilSocketChannel s;
            try {
                s = server.accept();
            } catch (IOException closed) {
                return;
            }
            rt.start(() -> {
                try (s) {
                    while (s.read(ByteBuffer.allocate(16)) >= 0) {
                        // the client sends nothing; it closes
                    }
                } catch (IOException e) {
                    // reset by the client: done
                }
            });
        }
    }

    private static long openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** fd number = what it refers to, for a failure message. */
    private static String describeOpenFds() {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : s.toList()) {
                try {
                    sb.append(fd.getFileName()).append('=').append(Files.readSymbolicLink(fd)).append(' ');
                } catch (IOException closedMeanwhile) {
                    // gone while listing
                }
            }
        } catch (IOException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    private static String badCall(FibrilRuntime rt, Path path, FibrilServerSocketChannel server,
                                  InetSocketAddress address, int kind) {
        try {
            switch (kind) {
                case 0 -> { // a closed file channel
                    FibrilFileChannel f = rt.openFile(path, READ);
                    f.close();
                    f.read(ByteBuffer.allocate(8), 0);
                }
                case 1 -> { // a huge length: reads what is there
                    try (FibrilFileChannel f = rt.openFile(path, READ)) {
                        ByteBuffer huge = ByteBuffer.allocateDirect(8 * 1024 * 1024);
                        int n = f.read(huge, 0);
                        return n == 4096 ? "huge read returned the file" : "UNEXPECTED huge read " + n;
                    }
                }
                case 2 -> { // an offset past the end
                    try (FibrilFileChannel f = rt.openFile(path, READ)) {
                        int n = f.read(ByteBuffer.allocate(8), Long.MAX_VALUE / 2);
                        return n == -1 ? "end of file past the end" : "UNEXPECTED past end " + n;
                    }
                }
                case 3 -> { // a read-only buffer
                    try (FibrilFileChannel f = rt.openFile(path, READ)) {
                        f.read(ByteBuffer.allocate(8).asReadOnlyBuffer(), 0);
                    }
                }
                case 4 -> { // the wrong direction
                    try (FibrilFileChannel f = rt.openFile(path, READ)) {
                        f.write(ByteBuffer.allocate(8), 0);
                    }
                }
                case 5 -> { // interrupted while blocked
                    try (FibrilSocketChannel s = rt.openSocket()) {
                        s.connect(address);
                        Thread self = Thread.currentThread();
                        rt.start(self::interrupt);
                        s.read(ByteBuffer.allocate(8)); // nobody writes: only the interrupt ends it
                    } finally {
                        Thread.interrupted();
                    }
                }
                case 6 -> { // closed while another fibril reads
                    FibrilSocketChannel s = rt.openSocket();
                    try {
                        s.connect(address);
                        rt.start(() -> {
                            try {
                                s.close();
                            } catch (IOException e) {
                                throw new RuntimeException(e);
                            }
                        });
                        s.read(ByteBuffer.allocate(8)); // nobody writes: only the close ends it
                    } finally {
                        s.close(); // a no-op after the other fibril's close; closes s if connect failed
                    }
                }
                case 7 -> { // negative position
                    try (FibrilFileChannel f = rt.openFile(path, READ)) {
                        f.read(ByteBuffer.allocate(8), -1);
                    }
                }
                default -> { // a write past the end of a read-write file grows it; a truncate below zero is refused
                    try (FibrilFileChannel f = rt.openFile(path, READ, WRITE, CREATE)) {
                        f.truncate(-5);
                    }
                }
            }
            return "UNEXPECTED no exception for kind " + kind;
        } catch (ClosedChannelException | NonReadableChannelException | NonWritableChannelException e) {
            return e.getClass().getSimpleName();
        } catch (IllegalArgumentException e) {
            return e.getMessage() != null && !e.getMessage().isBlank() ? "IllegalArgumentException" : "UNEXPECTED no message";
        } catch (ErrnoException e) {
            // A cancellation reaches the caller as the exception java.nio throws, never as an
            // errno: ECANCELED here means a request was cancelled for somebody else's close.
            return (e.errno() == Errno.ECANCELED ? "UNEXPECTED errno " : "errno ") + e.errnoName();
        } catch (Throwable e) {
            return "UNEXPECTED " + e;
        }
    }
}
