/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringRing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On io_uring a heap buffer goes through a native bounce buffer held from submission to
 * completion: a receive parked on an idle connection must not hold one (64 KiB each), else a
 * server of idle connections with heap buffers grows its native memory without bound.
 */
class HeapBufferReadTest {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldHoldNoBounceBufferWhileHeapBufferReadsWaitForData() throws Exception {
        assumeTrue(IoUringBackend.probe().available(), "io_uring cannot run here: " + IoUringBackend.probe().reason());
        ScriptedBackend backend = new ScriptedBackend(new IoUringBackend());
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend(backend).strict(true).build()) {
            IoUringRing ring = (IoUringRing) backend.rings.getFirst();
            int before = ring.bounceBuffers();
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 128);
            int connections = 64;
            List<FibrilSocketChannel> clients = new ArrayList<>();
            List<FibrilSocketChannel> accepted = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                FibrilSocketChannel c = rt.openSocket();
                c.connect(server.localAddress());
                clients.add(c);
                accepted.add(server.accept());
            }
            AtomicInteger read = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (FibrilSocketChannel a : accepted) {
                rt.start(() -> {
                    try {
                        ByteBuffer heap = ByteBuffer.allocate(1024);
                        int n = a.read(heap);
                        if (n == 3 && heap.get(0) == 'a' && heap.get(2) == 'c') {
                            read.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> rt.stats().descriptorsInUse() == connections);
            assertEquals(before, ring.bounceBuffers(), "64 waiting heap-buffer reads hold no bounce buffer");
            for (FibrilSocketChannel c : clients) {
                c.write(ByteBuffer.wrap(new byte[] {'a', 'b', 'c'}));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> read.get() + (failure.get() == null ? 0 : 1) == connections);
            assertEquals(null, failure.get());

            // the wait honours the read timeout and leaves the channel open
            FibrilSocketChannel quiet = accepted.getFirst();
            AtomicReference<Object> outcome = new AtomicReference<>();
            rt.start(() -> {
                try {
                    quiet.readTimeout(Duration.ofMillis(100));
                    outcome.set(quiet.read(ByteBuffer.allocate(16)));
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> outcome.get() != null);
            assertInstanceOf(SocketTimeoutException.class, outcome.get());
            assertTrue(quiet.isOpen());
        }
    }
}
