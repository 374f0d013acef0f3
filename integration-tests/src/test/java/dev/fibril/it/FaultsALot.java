/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.sim.Fault;
import dev.fibril.syscall.sim.Latency;
import dev.fibril.syscall.sim.SimulatedKernel;
import dev.fibril.syscall.sim.SimulatedKernelBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every fault kind of the simulated kernel at 2% over more than 100,000 operations. Each request
 * completes exactly once (submissions = completions + retries, nothing stale), EINTR and EAGAIN
 * never reach a caller, EIO and ECONNRESET reach callers as {@link ErrnoException}s naming them,
 * and no descriptor or fd is left behind.
 */
@Tag("slow")
class FaultsALot {
    private static final int FILE_FIBRILS = 1_000;
    private static final int SOCKET_FIBRILS = 500;
    private static final int ROUNDS = Integer.getInteger("faults.rounds", 40);
    private static final double RATE = 0.02;

    private final AtomicLong callsStarted = new AtomicLong();
    private final AtomicLong callsEnded = new AtomicLong();
    private final Map<String, AtomicLong> surfaced = new ConcurrentHashMap<>();
    private final Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldCompleteEveryRequestExactlyOnceUnderEveryFaultKind() throws Exception {
        SimulatedKernelBuilder kernel = SimulatedKernel.builder().seed(20261127L)
                .latency(Latency.uniform(0, 20_000))
                .maxFaultDelay(Duration.ofMillis(2));
        for (Fault f : Fault.values()) {
            if (System.getProperty("faults.only", f.name()).contains(f.name())) {
                kernel.fault(f, RATE);
            }
        }
        SimulatedKernel sim = kernel.build();
        try (FibrilRuntime rt = Fibril.runtime().carriers(Integer.getInteger("faults.carriers", 2)).backend(sim).strict(true).build()) {
            int fdsBefore = sim.openDescriptors();
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 4096);
            Thread acceptor = rt.start(() -> echoServer(rt, server));
            Thread[] workers = new Thread[FILE_FIBRILS + SOCKET_FIBRILS];
            for (int i = 0; i < FILE_FIBRILS; i++) {
                int id = i;
                workers[i] = rt.start(() -> guarded(() -> fileWork(rt, id)));
            }
            for (int i = 0; i < SOCKET_FIBRILS; i++) {
                int id = i;
                workers[FILE_FIBRILS + i] = rt.start(() -> guarded(() -> socketWork(rt, server.localAddress(), id)));
            }
            for (Thread t : workers) {
                if (!t.join(Duration.ofMinutes(2))) {
                    AssertionError stuck = new AssertionError("worker " + StuckReport.of(rt, t));
                    unexpected.forEach(stuck::addSuppressed);
                    throw stuck;
                }
            }
            server.close();
            assertTrue(acceptor.join(Duration.ofSeconds(60)));
            await().atMost(1, TimeUnit.MINUTES).until(() -> rt.stats().fibrilsAlive() == 0);

            if (!unexpected.isEmpty()) {
                AssertionError e = new AssertionError(unexpected.size() + " unexpected failures; first attached");
                e.initCause(unexpected.peek());
                throw e;
            }
            RuntimeStats stats = rt.stats();
            assertEquals(callsStarted.get(), callsEnded.get(), "every call returned or threw exactly once");
            assertTrue(stats.submissions() > 100_000, "operations: " + stats.submissions());
            assertEquals(stats.submissions(), stats.completions() + stats.retries(),
                    "each submission completes exactly once, finally or as a retried EINTR/EAGAIN: " + stats);
            assertEquals(0, stats.staleCompletions());
            assertTrue(stats.retries() > 0, "EINTR/EAGAIN were injected and retried inside: " + stats);
            assertFalse(surfaced.containsKey("EINTR") || surfaced.containsKey("EAGAIN"), "surfaced: " + surfaced);
            assertTrue(surfaced.getOrDefault("EIO", new AtomicLong()).get() > 0, "EIO surfaces: " + surfaced);
            assertTrue(surfaced.getOrDefault("ECONNRESET", new AtomicLong()).get() > 0, "ECONNRESET surfaces: " + surfaced);
            for (Fault f : Fault.values()) {
                assertTrue(sim.faultsInjected(f) > 0, "fault " + f + " was injected");
            }
            assertEquals(0, stats.descriptorsInUse(), "descriptors leaked: " + stats);
            await().until(() -> sim.openDescriptors() == fdsBefore);
        }
    }

    interface Work {
        void run() throws Exception;
    }

    private void guarded(Work w) {
        try {
            w.run();
        } catch (Throwable e) {
            unexpected.add(e);
        }
    }

    /** Runs one call, counting it in and out, and returns null when it failed with an errno exception. */
    private <T> T call(java.util.concurrent.Callable<T> io) throws Exception {
        callsStarted.incrementAndGet();
        try {
            return io.call();
        } catch (ErrnoException e) {
            surfaced.computeIfAbsent(e.errnoName(), k -> new AtomicLong()).incrementAndGet();
            return null;
        } finally {
            callsEnded.incrementAndGet();
        }
    }

    private void fileWork(FibrilRuntime rt, int id) throws Exception {
        try (FibrilFileChannel f = rt.openFile(Path.of("/faults/" + (id % 16)), READ, WRITE, CREATE)) {
            ByteBuffer out = ByteBuffer.allocate(64);
            ByteBuffer in = ByteBuffer.allocate(64);
            for (int r = 0; r < ROUNDS; r++) {
                long at = ((long) id * ROUNDS + r) * 64;
                fill(out.clear(), id, r);
                out.flip();
                // An EIO write wrote nothing: write again until it lands (the errno was seen and counted).
                while (call(() -> f.write(out.rewind(), at)) == null) {
                    // retry after an injected EIO
                }
                in.clear();
                while (in.hasRemaining()) {
                    Integer n = call(() -> f.read(in, at + in.position()));
                    if (n != null && n < 0) {
                        throw new AssertionError("unexpected end of file");
                    }
                }
                if (!in.flip().equals(out.rewind())) {
                    throw new AssertionError("fibril " + id + " round " + r + ": data differs after faults");
                }
            }
            call(() -> {
                f.force(true);
                return 0;
            });
        }
    }

    private void socketWork(FibrilRuntime rt, InetSocketAddress address, int id) throws Exception {
        try (FibrilSocketChannel s = rt.openSocket()) {
            if (call(() -> {
                s.connect(address);
                return 0;
            }) == null) {
                return;
            }
            ByteBuffer out = ByteBuffer.allocate(256);
            ByteBuffer in = ByteBuffer.allocate(256);
            for (int r = 0; r < ROUNDS; r++) {
                fill(out.clear(), id, r);
                out.flip();
                if (call(() -> s.write(out)) == null) {
                    return; // connection reset: the stream is no longer trustworthy; stop this client
                }
                in.clear();
                while (in.hasRemaining()) {
                    Integer n = call(() -> s.read(in));
                    if (n == null) {
                        return;
                    }
                    if (n < 0) {
                        return; // the echo side was reset and closed
                    }
                }
                if (!in.flip().equals(out.rewind())) {
                    throw new AssertionError("client " + id + " round " + r + ": echo differs");
                }
            }
        }
    }

    private void echoServer(FibrilRuntime rt, FibrilServerSocketChannel server) {
        while (true) {
            FibrilSocketChannel s;
            try {
                s = server.accept();
            } catch (ErrnoException e) {
                surfaced.computeIfAbsent(e.errnoName(), k -> new AtomicLong()).incrementAndGet();
                continue;
            } catch (Exception closed) {
                return;
            }
            rt.start(() -> {
                try (s) {
                    ByteBuffer buf = ByteBuffer.allocate(512);
                    while (true) {
                        Integer n = call(() -> s.read(buf.clear()));
                        if (n == null || n < 0) {
                            return;
                        }
                        buf.flip();
                        if (call(() -> s.write(buf)) == null) {
                            return;
                        }
                    }
                } catch (Exception e) {
                    unexpected.add(e);
                }
            });
        }
    }

    private static void fill(ByteBuffer b, int id, int r) {
        while (b.hasRemaining()) {
            b.put((byte) (id * 17 + r * 3 + b.position()));
        }
    }
}
