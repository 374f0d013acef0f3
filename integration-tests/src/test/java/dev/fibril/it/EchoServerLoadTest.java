/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.demo.EchoServer;
import dev.fibril.syscall.uring.IoUringBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** 1,000 concurrent loopback connections through the echo server, every byte checked. */
class EchoServerLoadTest {
    private static final int CONNECTIONS = 1_000;
    private static final int MESSAGES = 20;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll"})
    void shouldEchoEveryByteForAThousandConcurrentConnections(String backend) throws Exception {
        assumeTrue(!backend.equals("io_uring") || IoUringBackend.probe().available(),
                "io_uring cannot run here: " + IoUringBackend.probe().reason());
        try (FibrilRuntime serverRt = Fibril.runtime().carriers(1).backend(backend).strict(true).build();
             EchoServer echo = new EchoServer(serverRt, new InetSocketAddress("127.0.0.1", 0));
             FibrilRuntime clientRt = Fibril.runtime().carriers(1).backend(backend).strict(true).build()) {
            InetSocketAddress address = echo.address();
            AtomicLong bytes = new AtomicLong();
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            Thread[] clients = new Thread[CONNECTIONS];
            for (int c = 0; c < CONNECTIONS; c++) {
                int id = c;
                clients[c] = clientRt.start(() -> {
                    try (FibrilSocketChannel s = clientRt.openSocket()) {
                        s.connect(address);
                        for (int m = 0; m < MESSAGES; m++) {
                            int size = 1 + (id * 31 + m * 977) % 8192;
                            ByteBuffer out = ByteBuffer.allocate(size);
                            for (int i = 0; i < size; i++) {
                                out.put((byte) (id ^ m ^ i));
                            }
                            s.write(out.flip());
                            ByteBuffer in = ByteBuffer.allocate(size);
                            while (in.hasRemaining()) {
                                if (s.read(in) < 0) {
                                    throw new AssertionError("connection " + id + " closed early");
                                }
                            }
                            if (!in.flip().equals(out.rewind())) {
                                throw new AssertionError("connection " + id + " message " + m + " differs");
                            }
                            bytes.addAndGet(size);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
            }
            for (Thread t : clients) {
                assertTrue(t.join(Duration.ofMinutes(3)), "client stuck: " + t);
            }
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError(failures.size() + " connections failed; first attached");
                e.initCause(failures.peek());
                throw e;
            }
            System.out.printf("echo %s: %d connections, %d bytes echoed and checked, server %s%n",
                    backend, CONNECTIONS, bytes.get(), serverRt.stats());
            await().until(() -> serverRt.stats().fibrilsAlive() == 1); // only the acceptor is left
            assertEquals(1, serverRt.stats().descriptorsInUse(), "only the acceptor's accept is in flight");
        }
    }
}
