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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 100,000 fibrils on 2 carriers, each doing 10 simulated operations: half on a shared file
 * (5 pwrite + 5 pread of their own records), half on a socket to an echo server (connect,
 * 4 send/recv pairs, half-close). Every byte is checked; every descriptor comes back.
 */
@Tag("slow")
class ManyFibrilsALot {
    private static final int FIBRILS = 100_000;
    private static final int RECORD = 32;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldCompleteEveryOperationOfAHundredThousandFibrilsByteExact() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(2).backend("simulated").strict(true).build()) {
            int fdsBefore = rt.backend().openDescriptors();
            FibrilFileChannel file = rt.openFile(Path.of("/many/records"), READ, WRITE, CREATE);
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 1024);
            InetSocketAddress address = server.localAddress();
            Thread acceptor = rt.start(() -> acceptLoop(rt, server));
            Semaphore connections = new Semaphore(512); // stays under the backlog: no ECONNREFUSED by design
            AtomicInteger done = new AtomicInteger();
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < FIBRILS; i++) {
                int id = i;
                rt.start(() -> {
                    try {
                        if (id % 2 == 0) {
                            fileWork(file, id);
                        } else {
                            connections.acquire();
                            try {
                                socketWork(rt, address, id);
                            } finally {
                                connections.release();
                            }
                        }
                        done.incrementAndGet();
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
            }
            await().atMost(4, TimeUnit.MINUTES).until(() -> done.get() + failures.size() == FIBRILS);
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError(failures.size() + " fibrils failed; first attached");
                e.initCause(failures.peek());
                throw e;
            }
            assertEquals(FIBRILS, done.get());
            server.close();
            assertTrue(acceptor.join(java.time.Duration.ofSeconds(30)));
            file.close();
            await().until(() -> rt.stats().fibrilsAlive() == 0);
            RuntimeStats stats = rt.stats();
            assertEquals(0, stats.descriptorsInUse(), "descriptors in use after all fibrils finished: " + stats);
            assertEquals(0, stats.staleCompletions());
            assertTrue(stats.completions() >= FIBRILS * 10L, "completions: " + stats.completions());
            await().until(() -> rt.backend().openDescriptors() == fdsBefore);
        }
    }

    private static void fileWork(FibrilFileChannel file, int id) throws Exception {
        ByteBuffer out = ByteBuffer.allocate(RECORD);
        ByteBuffer in = ByteBuffer.allocate(RECORD);
        for (int k = 0; k < 5; k++) {
            fill(out.clear(), id, k);
            file.write(out.flip(), offset(id, k));
        }
        for (int k = 0; k < 5; k++) {
            in.clear();
            while (in.hasRemaining()) {
                if (file.read(in, offset(id, k) + in.position()) < 0) {
                    throw new AssertionError("unexpected end of file for fibril " + id);
                }
            }
            fill(out.clear(), id, k);
            if (!in.flip().equals(out.flip())) {
                throw new AssertionError("fibril " + id + " record " + k + " differs");
            }
        }
    }

    private static void socketWork(FibrilRuntime rt, InetSocketAddress address, int id) throws Exception {
        try (FibrilSocketChannel s = rt.openSocket()) {
            s.connect(address);
            ByteBuffer out = ByteBuffer.allocate(16);
            ByteBuffer in = ByteBuffer.allocate(16);
            for (int k = 0; k < 4; k++) {
                fill(out.clear(), id, k);
                s.write(out.flip());
                in.clear();
                while (in.hasRemaining()) {
                    if (s.read(in) < 0) {
                        throw new AssertionError("echo closed early for fibril " + id);
                    }
                }
                if (!in.flip().equals(out.rewind())) {
                    throw new AssertionError("fibril " + id + " echo " + k + " differs");
                }
            }
            s.shutdownOutput();
        }
    }

    private static void acceptLoop(FibrilRuntime rt, FibrilServerSocketChannel server) {
        while (server.isOpen()) {
            FibrilSocketChannel s;
            try {
                s = server.accept();
            } catch (Exception closed) {
                return;
            }
            rt.start(() -> {
                try (s) {
                    ByteBuffer buf = ByteBuffer.allocate(64);
                    while (s.read(buf.clear()) >= 0) {
                        s.write(buf.flip());
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
        }
    }

    private static long offset(int id, int k) {
        return ((long) id * 5 + k) * RECORD;
    }

    private static void fill(ByteBuffer b, int id, int k) {
        while (b.hasRemaining()) {
            b.put((byte) (id * 7 + k * 13 + b.position()));
        }
    }
}
