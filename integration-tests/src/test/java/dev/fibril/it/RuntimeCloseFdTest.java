/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A runtime closed while its fibrils are blocked in reads, receives, writes and an accept on kernel sockets
 * closes every socket it opened: of the sockets on the listener's port only the peers' are left,
 * and each peer sees its connection end. Counted in /proc/self/fd and /proc/net/tcp, through no
 * Fibril code.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RuntimeCloseFdTest {
    private static final int CONNECTIONS = 40;

    @ParameterizedTest
    @EnumSource(value = ChannelBackend.class, names = {"IO_URING", "EPOLL"})
    void shouldCloseEverySocketWhenClosedWithFibrilsBlockedOnThem(ChannelBackend kind) throws Exception {
        assumeTrue(kind.unavailable() == null, kind.unavailable());
        List<Socket> peers = new ArrayList<>();
        FibrilRuntime rt = Fibril.runtime().carriers(2).backend(kind.backendName()).build();
        try {
            FibrilServerSocketChannel server = rt.openServerSocket()
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), CONNECTIONS);
            int port = server.localAddress().getPort();
            var blocked = ConcurrentHashMap.<Thread>newKeySet();
            for (int i = 0; i < CONNECTIONS; i++) {
                int n = i;
                peers.add(new Socket(server.localAddress().getAddress(), server.localAddress().getPort()));
                FibrilSocketChannel ch = server.accept();
                blocked.add(rt.start(() -> {
                    try {
                        switch (n % 3) {
                            case 0 -> ch.read(ByteBuffer.allocate(64)); // into a caller's buffer
                            case 1 -> ch.receive(); // into a lent one
                            default -> {
                                ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
                                while (true) { // until the peer's window and the send buffer are full
                                    ch.write(chunk.clear());
                                }
                            }
                        }
                    } catch (IOException | RuntimeException endedByTheClose) {
                        // the close ends it; what with is CloseWithRequestsInFlightTest's business
                    }
                }));
            }
            blocked.add(rt.start(() -> {
                try {
                    server.accept();
                } catch (IOException | RuntimeException endedByTheClose) {
                    // as above
                }
            }));
            await().until(() -> blocked.stream().allMatch(t -> t.getState() == Thread.State.WAITING));
            assertEquals(2L * CONNECTIONS + 1, KernelSockets.socketsOn(port),
                    "the peers, the accepted connections and the listener");

            rt.close(Duration.ofMillis(200));

            for (Thread t : blocked) {
                assertTrue(t.join(Duration.ofSeconds(30)), "still blocked after close: " + t);
            }
            // the runtime's sockets are closed: only the peers are left
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertEquals(CONNECTIONS, KernelSockets.socketsOn(port), "sockets left after the runtime's close"));
            for (Socket peer : peers) { // each reaches its end of stream (a timeout would throw)
                peer.setSoTimeout(30_000);
                try (InputStream in = peer.getInputStream()) {
                    byte[] sink = new byte[1 << 16];
                    while (in.read(sink) >= 0) {
                        // what a writer had sent, then the end
                    }
                }
            }
        } finally {
            rt.close();
            for (Socket peer : peers) {
                peer.close();
            }
        }
    }
}
