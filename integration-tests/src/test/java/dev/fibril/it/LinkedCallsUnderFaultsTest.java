/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.sim.Fault;
import dev.fibril.syscall.sim.Latency;
import dev.fibril.syscall.sim.SimulatedKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The calls that the runtime builds from linked requests, on the simulated kernel with its
 * retryable faults on: a read bounded by {@code readTimeout} (RECV + LINK_TIMEOUT, run by the link
 * engine the emulated rings share) and {@code sendFile} (read and send there). Which rounds time
 * out is decided by construction, not by the clock: in a silent round the client sends nothing until
 * the server has answered its timeout, and every other round's read waits far longer than any fault
 * delays. So the count of timeouts is exact, every byte is checked, and every request completes
 * exactly once.
 */
class LinkedCallsUnderFaultsTest {
    private static final int CONNECTIONS = 100;
    private static final int ROUNDS = 30;
    private static final int FILE_SIZE = 4096;
    private static final Duration SILENT = Duration.ofMillis(5);
    private static final Duration PATIENT = Duration.ofSeconds(60);

    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final AtomicLong timeouts = new AtomicLong();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldTimeOutExactlyTheSilentRoundsAndSendEveryFileByteUnderFaults() throws Exception {
        SimulatedKernel sim = SimulatedKernel.builder().seed(20261202L)
                .latency(Latency.uniform(0, 20_000))
                .fault(Fault.EINTR, 0.03).fault(Fault.EAGAIN, 0.03)
                .fault(Fault.SHORT_READ, 0.05).fault(Fault.SHORT_WRITE, 0.05)
                .fault(Fault.DELAY, 0.05).fault(Fault.REORDER, 0.05)
                .maxFaultDelay(Duration.ofMillis(1))
                .build();
        try (FibrilRuntime rt = Fibril.runtime().carriers(2).backend(sim).strict(true).build()) {
            int fdsBefore = sim.openDescriptors();
            for (int c = 0; c < CONNECTIONS; c++) {
                writeFile(rt, c);
            }
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), CONNECTIONS);
            Thread acceptor = rt.start(() -> guarded(() -> {
                for (int c = 0; c < CONNECTIONS; c++) {
                    FibrilSocketChannel s = server.accept();
                    rt.start(() -> guarded(() -> serve(rt, s)));
                }
            }));
            Thread[] clients = new Thread[CONNECTIONS];
            for (int c = 0; c < CONNECTIONS; c++) {
                int id = c;
                clients[c] = rt.start(() -> guarded(() -> client(rt, server.localAddress(), id)));
            }
            for (Thread t : clients) {
                assertTrue(t.join(Duration.ofMinutes(2)), "a client is stuck: " + rt.stats());
            }
            assertTrue(acceptor.join(Duration.ofMinutes(1)));
            server.close();
            await().atMost(1, TimeUnit.MINUTES).until(() -> rt.stats().fibrilsAlive() == 0);
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError(failures.size() + " failures; first attached");
                e.initCause(failures.peek());
                throw e;
            }
            assertEquals((long) CONNECTIONS * silentRounds(), timeouts.get(), "exactly the silent rounds timed out");
            RuntimeStats stats = rt.stats();
            assertEquals(stats.submissions(), stats.completions() + stats.retries(), "each request completed once: " + stats);
            assertEquals(0, stats.staleCompletions());
            assertTrue(stats.retries() > 0, "faults were injected and retried: " + stats);
            assertTrue(sim.faultsInjected(Fault.SHORT_WRITE) > 0 && sim.faultsInjected(Fault.REORDER) > 0);
            assertEquals(0, stats.descriptorsInUse(), "descriptors leaked: " + stats);
            await().until(() -> sim.openDescriptors() == fdsBefore);
        }
    }

    private static boolean silent(int round) {
        return round % 3 == 1;
    }

    private static int silentRounds() {
        int n = 0;
        for (int r = 0; r < ROUNDS; r++) {
            n += silent(r) ? 1 : 0;
        }
        return n;
    }

    private static Path file(int id) {
        return Path.of("/linked/" + id);
    }

    private static byte letter(int id) {
        return (byte) ('a' + id % 26);
    }

    private static void writeFile(FibrilRuntime rt, int id) throws Exception {
        Thread t = rt.start(() -> {
            try (FibrilFileChannel f = rt.openFile(file(id), READ, WRITE, CREATE)) {
                ByteBuffer content = ByteBuffer.allocate(FILE_SIZE);
                while (content.hasRemaining()) {
                    content.put(letter(id));
                }
                content.flip();
                long at = 0;
                while (content.hasRemaining()) {
                    at += f.write(content, at);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(t.join(Duration.ofMinutes(1)));
    }

    /** Per round: a 1-byte request names the connection (its number, under 128), answered by its file through sendFile; a silent round by "T" after the timeout. */
    private void serve(FibrilRuntime rt, FibrilSocketChannel s) throws Exception {
        ByteBuffer request = ByteBuffer.allocate(1);
        try (s) {
            for (int r = 0; r < ROUNDS; r++) {
                request.clear();
                if (silent(r)) {
                    s.readTimeout(SILENT);
                    try {
                        int n = s.read(request);
                        throw new AssertionError("round " + r + ": read " + n + " in a silent round");
                    } catch (SocketTimeoutException expected) {
                        timeouts.incrementAndGet();
                    }
                    writeFully(s, ByteBuffer.wrap(new byte[] {'T'}));
                    continue;
                }
                s.readTimeout(PATIENT);
                if (s.read(request) != 1) {
                    throw new AssertionError("round " + r + ": no request");
                }
                int id = request.get(0);
                try (FibrilFileChannel own = rt.openFile(file(id), READ)) {
                    long sent = 0;
                    while (sent < FILE_SIZE) {
                        sent += s.sendFile(own, sent, FILE_SIZE - sent);
                    }
                }
            }
        }
    }

    private void client(FibrilRuntime rt, InetSocketAddress address, int id) throws Exception {
        try (FibrilSocketChannel s = rt.openSocket()) {
            s.connect(address);
            ByteBuffer reply = ByteBuffer.allocate(FILE_SIZE);
            for (int r = 0; r < ROUNDS; r++) {
                if (silent(r)) {
                    ByteBuffer t = ByteBuffer.allocate(1);
                    readFully(s, t);
                    assertEquals('T', t.get(0), "round " + r + " of connection " + id);
                    continue;
                }
                writeFully(s, ByteBuffer.wrap(new byte[] {(byte) id}));
                readFully(s, reply.clear());
                for (int i = 0; i < FILE_SIZE; i++) {
                    if (reply.get(i) != letter(id)) {
                        throw new AssertionError("connection " + id + " round " + r + ": byte " + i + " is '"
                                + (char) reply.get(i) + "', not its file's '" + (char) letter(id) + "'");
                    }
                }
            }
        }
    }

    private static void writeFully(FibrilSocketChannel s, ByteBuffer b) throws Exception {
        while (b.hasRemaining()) {
            s.write(b);
        }
    }

    private static void readFully(FibrilSocketChannel s, ByteBuffer b) throws Exception {
        while (b.hasRemaining()) {
            if (s.read(b) < 0) {
                throw new AssertionError("end of stream with " + b.remaining() + " bytes to come");
            }
        }
    }

    interface Work {
        void run() throws Exception;
    }

    private void guarded(Work w) {
        try {
            w.run();
        } catch (Throwable e) {
            failures.add(e);
        }
    }
}
