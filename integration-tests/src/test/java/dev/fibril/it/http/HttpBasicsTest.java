/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requests and their connections: keep-alive with real clients, requests in turn and pipelined, half-close, malformed requests, metrics. */
@ParameterizedClass
@EnumSource(ServerKind.class)
class HttpBasicsTest extends HttpContract {
    HttpBasicsTest(ServerKind kind) {
        super(kind);
    }

    @Test
    void shouldServeHelloToJettyClientOverOneKeptAliveConnection() throws Exception {
        assumeRealSockets(NEEDS_JDK_SOCKETS);
        for (int i = 0; i < 5; i++) {
            ContentResponse r = jetty.newRequest(uri("/hello")).timeout(20, TimeUnit.SECONDS).send();
            assertEquals(200, r.getStatus());
            assertEquals(HttpVersion.HTTP_1_1, r.getVersion());
            assertEquals("Hello, World!", r.getContentAsString());
            assertEquals("text/plain; charset=utf-8", r.getHeaders().get(HttpHeader.CONTENT_TYPE));
            assertEquals("13", r.getHeaders().get(HttpHeader.CONTENT_LENGTH));
            assertNotNull(r.getHeaders().get(HttpHeader.DATE));
            assertNull(r.getHeaders().get(HttpHeader.SERVER), "the demo does not send its version");
            assertNull(r.getHeaders().get(HttpHeader.CONNECTION), "nothing asks to close");
        }
        assertEquals(1, endPointsOpened.size(), "five requests, one connection");
        assertEquals(1, server.connector().getConnectedEndPoints().size(), "the connection stays open");
    }

    @Test
    void shouldServeHelloToJdkClientOverOneKeptAliveConnection() throws Exception {
        assumeRealSockets(NEEDS_JDK_SOCKETS);
        for (int i = 0; i < 5; i++) {
            HttpResponse<byte[]> r = jdk.send(HttpRequest.newBuilder(uri("/hello")).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertEquals(java.net.http.HttpClient.Version.HTTP_1_1, r.version());
            assertEquals("Hello, World!", new String(r.body(), StandardCharsets.US_ASCII));
            assertEquals("text/plain; charset=utf-8", r.headers().firstValue("content-type").orElse(null));
            assertEquals(13, r.headers().firstValueAsLong("content-length").orElse(-1));
        }
        assertEquals(1, endPointsOpened.size(), "five requests, one connection");
    }

    @Test
    void shouldServeRequestsInTurnOnOneRawConnectionWithTheirHeaders() throws Exception {
        try (RawHttp raw = connect()) {
            for (int i = 0; i < 5; i++) {
                RawHttp.Response r = raw.send(RawHttp.get("/hello")).read();
                assertHello(r);
                assertEquals("text/plain; charset=utf-8", r.head().header("content-type"));
                assertEquals(13, r.head().contentLength());
                assertNotNull(r.head().header("date"));
                assertNull(r.head().header("connection"), "nothing asks to close");
            }
            assertEquals(1, server.connector().getConnectedEndPoints().size(), "the connection stays open");
        }
        assertEquals(1, endPointsOpened.size());
    }

    @Test
    void shouldHalfCloseAfterConnectionCloseAndAnswerAClientThatHalfClosed() throws Exception {
        // "Connection: close": the whole response, then the server shuts its output down (FIN, no reset)
        try (RawHttp raw = connect()) {
            RawHttp.Response r = raw.send("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").read();
            assertHello(r);
            assertEquals("close", r.head().header("connection"));
            assertEquals(-1, raw.body().read(), "end of stream after the response");
        }
        // the client shuts its output down after its request: the response still comes, whole
        try (RawHttp raw = connect()) {
            raw.send(RawHttp.get("/files/small.txt"));
            raw.shutdownOutput();
            RawHttp.Response r = raw.read();
            assertNotNull(r, "no response to a half-closed client");
            assertEquals(200, r.status());
            assertEquals(SMALL_FILE_TEXT, r.text());
            assertTrue(raw.awaitClosedByServer(), "the server ends the connection after answering");
        }
        awaitNoConnections();
        awaitIdleRuntime();
    }

    @Test
    void shouldAnswerFiftyPipelinedRequestsInOrder() throws Exception {
        String[] paths = {"/hello", "/files/small.txt", "/files/missing.txt"};
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            all.append(RawHttp.get(paths[i % 3]));
        }
        try (RawHttp raw = connect()) {
            raw.send(all.toString());
            for (int i = 0; i < 50; i++) {
                RawHttp.Response r = raw.read();
                assertNotNull(r, "connection ended after " + i + " responses");
                switch (i % 3) {
                    case 0 -> assertHello(r);
                    case 1 -> {
                        assertEquals(200, r.status(), "response " + i);
                        assertEquals(SMALL_FILE_TEXT, r.text(), "response " + i);
                    }
                    default -> assertEquals(404, r.status(), "response " + i);
                }
            }
        }
        assertEquals(1, endPointsOpened.size(), "all fifty on one connection");
    }

    @Test
    void shouldRejectMalformedRequestsAndKeepServing() throws Exception {
        record Bad(String name, String request, Set<Integer> statuses) {
        }
        List<Bad> cases = List.of(
                new Bad("garbage request line", "GARBAGE\r\n\r\n", Set.of(400)),
                new Bad("binary request line", "\u0001\u0002\u0003\u0004 / \u0005\r\n\r\n", Set.of(400)),
                new Bad("header without a colon", "GET /hello HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\n\r\n", Set.of(400)),
                new Bad("header over 8 KiB", "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(16 * 1024) + "\r\n\r\n",
                        Set.of(431, 400)),
                new Bad("invalid Content-Length", "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n", Set.of(400)),
                new Bad("negative Content-Length", "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\n", Set.of(400)),
                new Bad("two different Content-Lengths",
                        "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", Set.of(400)),
                new Bad("no Host in HTTP/1.1", "GET /hello HTTP/1.1\r\n\r\n", Set.of(400)),
                new Bad("bad chunk size", "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                        Set.of(400)));
        for (Bad bad : cases) {
            try (RawHttp c = connect()) {
                c.send(bad.request());
                RawHttp.Response r;
                try {
                    r = c.read();
                } catch (java.net.SocketException reset) {
                    r = null; // closed without an answer is allowed
                }
                if (r != null) {
                    assertTrue(bad.statuses().contains(r.status()), bad.name() + " answered " + r.status());
                    assertTrue(c.awaitClosedByServer(), bad.name() + ": the connection must close after the error");
                }
            }
            assertServesHello();
        }
    }

    @Test
    void shouldExposePrometheusMetrics() throws Exception {
        assertServesHello();
        // TimedHandler records the hello once its response has been written, which the client may
        // see before the server's write completes: the scrape waits for that one recording.
        String body = await().atMost(Duration.ofSeconds(30)).until(this::scrapeMetrics,
                b -> b.contains("jetty_server_requests_seconds_count"));
        assertTrue(body.contains("jetty_connections_"), "Jetty's connection meters");
        assertEquals(fibrilConnector() != null, body.contains("fibril_"), "Fibril's meters exactly when Fibril runs");
        assertTrue(body.contains("\njvm_memory_used_bytes{"), "Micrometer's JVM binders");
        assertTrue(body.contains("\nprocess_cpu_usage "), "Micrometer's process binders");
        assertTrue(body.contains("\nprocess_uptime_seconds "), "Micrometer's uptime binder");
    }

    private String scrapeMetrics() throws Exception {
        try (RawHttp raw = connect()) {
            RawHttp.Response r = raw.send(RawHttp.get("/metrics")).read();
            assertEquals(200, r.status());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", r.head().header("content-type"));
            return r.text();
        }
    }
}
