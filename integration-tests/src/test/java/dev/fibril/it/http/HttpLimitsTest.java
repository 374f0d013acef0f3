/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Limits: a thousand connections at once, and the idle timeout for a client that stalls its request or stops reading. */
@ParameterizedClass
@EnumSource(ServerKind.class)
class HttpLimitsTest extends HttpContract {
    HttpLimitsTest(ServerKind kind) {
        super(kind);
    }

    @Test
    void shouldServeAThousandConcurrentConnectionsAndCloseThemAll() throws Exception {
        int connections = 1_000;
        int batch = 25; // under any listen backlog (Jetty's ServerConnector asks for the JDK's 50)
        List<RawHttp> clients = new ArrayList<>(connections);
        try {
            for (int i = 0; i < connections; i++) {
                clients.add(connect());
                if ((i + 1) % batch == 0) {
                    int opened = i + 1;
                    await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(5))
                            .until(() -> server.connector().getConnectedEndPoints().size() >= opened);
                }
            }
            await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(10))
                    .until(() -> server.connector().getConnectedEndPoints().size() == connections);
            for (RawHttp c : clients) {
                c.send(RawHttp.get("/hello"));
            }
            for (int i = 0; i < connections; i++) {
                RawHttp.Response r = clients.get(i).read();
                assertNotNull(r, "connection " + i + " ended without a response");
                assertEquals(200, r.status(), "connection " + i);
                assertEquals("Hello, World!", r.text(), "connection " + i);
            }
            assertEquals(connections, server.connector().getConnectedEndPoints().size(), "all still open at once");
        } finally {
            for (RawHttp c : clients) {
                c.close();
            }
        }
        awaitNoConnections();
        awaitIdleRuntime();
        awaitNoLeakedBuffers();
        assertServesHello();
    }

    @Test
    void shouldCloseAStalledClientAtTheIdleTimeoutAndServeOthersMeanwhile() throws Exception {
        Duration idleTimeout = Duration.ofSeconds(1);
        restartServer(o -> o.idleTimeout(idleTimeout));
        byte[] head = "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Slow: trickle".getBytes(StandardCharsets.US_ASCII);
        int trickled = 20; // at 100 ms a byte: twice the idle timeout, so only the trickle keeps it open
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        try (RawHttp slow = connect()) {
            int slowPort = slow.localPort();
            AtomicInteger sent = new AtomicInteger();
            AtomicLong lastByteNanos = new AtomicLong();
            CompletableFuture<Void> trickle = new CompletableFuture<>();
            ScheduledFuture<?> ticks = ticker.scheduleAtFixedRate(() -> {
                int i = sent.get();
                if (i == trickled) {
                    trickle.complete(null);
                    return;
                }
                try {
                    slow.send(new byte[] {head[i]});
                    lastByteNanos.set(System.nanoTime());
                    sent.incrementAndGet();
                } catch (IOException e) {
                    trickle.completeExceptionally(e);
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            try {
                while (!trickle.isDone()) {
                    assertServesHello(); // others are served while one client trickles
                }
                trickle.get();
            } finally {
                ticks.cancel(false);
            }
            assertTrue(server.connector().getConnectedEndPoints().stream()
                            .anyMatch(ep -> remotePort(ep) == slowPort),
                    "a client that keeps sending is not idle");

            // Now it stalls: the server must close it about one idle timeout after its last byte.
            CompletableFuture<Long> closedAfter = CompletableFuture.supplyAsync(() -> {
                try {
                    RawHttp.Head h;
                    try {
                        h = slow.readHead();
                    } catch (java.net.SocketException reset) {
                        h = null;
                    }
                    if (h != null && h.status() != 408) {
                        throw new AssertionError("a stalled request was answered " + h.status());
                    }
                    if (h != null && !slow.awaitClosedByServer()) {
                        throw new AssertionError("408 but the connection stays open");
                    }
                    return System.nanoTime() - lastByteNanos.get();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            for (int i = 0; i < 3; i++) {
                assertServesHello();
            }
            await().atMost(10, TimeUnit.SECONDS).until(closedAfter::isDone);
            long stalledNanos = closedAfter.get();
            assertTrue(stalledNanos >= idleTimeout.toNanos() - TimeUnit.MILLISECONDS.toNanos(50),
                    "closed " + Duration.ofNanos(stalledNanos) + " after the last byte, before the idle timeout " + idleTimeout);
        } finally {
            ticker.shutdownNow();
        }
        assertServesHello();
    }

    @Test
    void shouldDropClientsThatStopReadingAtTheIdleTimeoutAndKeepServing() throws Exception {
        restartServer(o -> o.idleTimeout(Duration.ofSeconds(1)));
        List<RawHttp> stalled = new ArrayList<>();
        ExecutorService uploaders = Executors.newVirtualThreadPerTaskExecutor();
        try {
            // Three downloads and one echo whose clients read nothing after the response head: more
            // stalled writers than the server has carriers.
            for (int i = 0; i < 3; i++) {
                RawHttp c = connect();
                stalled.add(c);
                assertEquals(200, c.send(RawHttp.get("/files/big.bin")).readHead().status());
            }
            RawHttp echo = connect();
            stalled.add(echo);
            long echoSize = 64L * MIB;
            echo.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + echoSize + "\r\n\r\n");
            Future<?> upload = uploaders.submit(() -> {
                SeededBytes body = new SeededBytes(9, echoSize);
                while (body.available() > 0) {
                    echo.send(chunk(body, 256 * 1024).array()); // blocks once the server stops reading; fails when it closes
                }
                return null;
            });
            assertEquals(200, echo.readHead().status());

            Set<Integer> ports = new java.util.HashSet<>();
            for (RawHttp c : stalled) {
                ports.add(c.localPort());
            }
            assertServesHello();
            await().atMost(15, TimeUnit.SECONDS).untilAsserted(() -> assertEquals(List.of(),
                    server.connector().getConnectedEndPoints().stream()
                            .filter(ep -> ports.contains(remotePort(ep)))
                            .toList(),
                    "stalled readers still connected after the idle timeout"));
            assertServesHello();
            for (RawHttp c : stalled) {
                CountingInputStream rest = new CountingInputStream(c.body());
                try {
                    SeededBytes.digest(rest);
                } catch (java.net.SocketException reset) {
                    // a reset is as good as an end of stream here
                }
                assertTrue(rest.count() < BIG_FILE_SIZE, "a dropped response cannot be complete");
            }
            await().atMost(15, TimeUnit.SECONDS).until(upload::isDone);
        } finally {
            uploaders.shutdownNow();
            for (RawHttp c : stalled) {
                c.close();
            }
        }
        if (jetty != null) {
            jetty.stop(); // its kept-alive connection is the only one left
        }
        awaitNoConnections();
        awaitIdleRuntime();
        awaitNoLeakedBuffers();
    }
}
