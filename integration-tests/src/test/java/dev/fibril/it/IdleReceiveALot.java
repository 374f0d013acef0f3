/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.uring.IoUringBackend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Thousands of idle connections, each with a receive parked on io_uring, hold no receive buffer;
 * then every client sends at once, far more than the carriers' few buffers: every echo comes back
 * whole (exhaustion is back-pressure), and afterwards every buffer is back in the kernel's ring.
 * 8,000 connections, not 10,000: both ends live in this JVM, whose descriptor limit is 20,000 here.
 */
@Tag("slow")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class IdleReceiveALot {
    private static final int CONNECTIONS = 8_000;

    @Test
    void shouldHoldNoBufferWhileIdleAndLoseNothingWhenAllSendAtOnce() throws Exception {
        assumeTrue(IoUringBackend.probe().available(), () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        try (FibrilRuntime rt = Fibril.runtime().carriers(2).backend("io_uring").strict(true)
                .descriptorPoolBound(16_384).receiveBuffers(8, 4096).build();
             FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 4096)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger echoed = new AtomicInteger();
            rt.start(() -> {
                while (true) {
                    FibrilSocketChannel ch;
                    try {
                        ch = server.accept();
                    } catch (Exception closed) {
                        return;
                    }
                    rt.start(() -> echo(ch, echoed, failure));
                }
            });
            List<SocketChannel> clients = new ArrayList<>(CONNECTIONS);
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    clients.add(SocketChannel.open(server.localAddress()));
                }
                // every connection's receive is parked in the kernel, holding no buffer
                await().atMost(Duration.ofMinutes(2)).until(() -> rt.stats().descriptorsInUse() >= CONNECTIONS + 1);
                RuntimeStats idle = rt.stats();
                assertEquals(2, idle.receiveBufferRings(), () -> "the kernel picks the buffers: " + idle);
                assertEquals(0, idle.receiveBuffersLent(), () -> "idle connections hold no buffer: " + idle);
                for (int i = 0; i < CONNECTIONS; i++) {
                    ByteBuffer out = ByteBuffer.wrap(message(i));
                    while (out.hasRemaining()) {
                        clients.get(i).write(out);
                    }
                }
                for (int i = 0; i < CONNECTIONS; i++) {
                    byte[] expected = message(i);
                    ByteBuffer in = ByteBuffer.allocate(expected.length);
                    while (in.hasRemaining()) {
                        if (clients.get(i).read(in) < 0) {
                            throw new AssertionError("connection " + i + " ended early");
                        }
                    }
                    assertEquals(new String(expected, StandardCharsets.US_ASCII),
                            new String(in.array(), StandardCharsets.US_ASCII), "echo of connection " + i);
                }
                assertNull(failure.get(), () -> "an echo fibril failed: " + failure.get());
                assertEquals(CONNECTIONS, echoed.get());
                await().atMost(Duration.ofSeconds(30)).until(() -> rt.stats().receiveBuffersLent() == 0);
                RuntimeStats after = rt.stats();
                System.out.println("[io_uring] " + CONNECTIONS + " idle connections then a burst on 16 receive buffers: "
                        + after.receiveBufferWaits() + " receives waited for a buffer, "
                        + after.receiveBuffersLent() + " buffers lent afterwards");
            } finally {
                for (SocketChannel c : clients) {
                    c.close();
                }
            }
        }
    }

    private static byte[] message(int i) {
        return ("message " + i + " of the burst\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Echoes what arrives until the peer closes. */
    private static void echo(FibrilSocketChannel ch, AtomicInteger echoed, AtomicReference<Throwable> failure) {
        try (ch) {
            ByteBuffer got;
            boolean counted = false;
            while ((got = ch.receive()) != null) {
                try {
                    while (got.hasRemaining()) {
                        ch.write(got);
                    }
                } finally {
                    ch.release(got);
                }
                if (!counted) {
                    counted = true;
                    echoed.incrementAndGet();
                }
            }
        } catch (Throwable e) {
            if (!(e instanceof java.io.IOException)) {
                failure.compareAndSet(null, e);
            }
        }
    }
}
