/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamRequestContent;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request and response bodies: echoed by length and chunked, streamed both ways at once, and over HTTP/2. */
@ParameterizedClass
@EnumSource(ServerKind.class)
class HttpBodiesTest extends HttpContract {
    HttpBodiesTest(ServerKind kind) {
        super(kind);
    }

    @Test
    void shouldEchoAHundredMebibyteChunkedUploadByteExact() throws Exception {
        assumeRealSockets(NEEDS_JDK_SOCKETS);
        long size = 100L * MIB;
        long seed = 100;
        InputStreamResponseListener listener = new InputStreamResponseListener();
        jetty.POST(uri("/echo"))
                .body(new InputStreamRequestContent("application/octet-stream", new SeededBytes(seed, size), 64 * 1024))
                .timeout(50, TimeUnit.SECONDS)
                .send(listener);
        Response response = listener.get(30, TimeUnit.SECONDS);
        assertEquals(200, response.getStatus());
        assertNull(response.getHeaders().get(HttpHeader.CONTENT_LENGTH), "the request had no length, so neither has the echo");
        assertEquals("chunked", response.getHeaders().get(HttpHeader.TRANSFER_ENCODING));
        CountingInputStream body = new CountingInputStream(listener.getInputStream());
        String received = SeededBytes.digest(body);
        assertEquals(size, body.count());
        assertEquals(SeededBytes.digest(seed, size), received);
    }

    @Test
    void shouldEchoAChunkedUploadByteExactWhileStreamingItBack() throws Exception {
        long size = 16L * MIB;
        long seed = 16;
        try (RawHttp raw = connect()) {
            raw.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
            // Sent from another thread: the echo comes back while the upload goes on, and neither
            // side's buffers can hold all of it.
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                try {
                    SeededBytes source = new SeededBytes(seed, size);
                    while (source.available() > 0) {
                        ByteBuffer c = chunk(source, 40_000);
                        byte[] b = java.util.Arrays.copyOf(c.array(), c.remaining());
                        raw.send(ascii(Integer.toHexString(b.length) + "\r\n"));
                        raw.send(b);
                        raw.send(ascii("\r\n"));
                    }
                    raw.send(ascii("0\r\n\r\n"));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            RawHttp.Head head = raw.readHead();
            assertEquals(200, head.status());
            assertTrue(head.chunked(), "a request of no length is echoed chunked");
            RawHttp.Response echo = new RawHttp.Response(head, raw.readBody(head));
            upload.get(30, TimeUnit.SECONDS);
            assertEquals(size, echo.body().length);
            assertEquals(SeededBytes.digest(seed, size), SeededBytes.digest(new java.io.ByteArrayInputStream(echo.body())));
        }
        awaitIdleRuntime();
    }

    @Test
    void shouldEchoBodiesOfKnownLengthWithTheirLengthOnOneConnection() throws Exception {
        try (RawHttp raw = connect()) {
            // each body is sent whole before its echo is read, so all of it must fit in the sockets' buffers
            for (int size : new int[] {0, 1, 4096, 65_536, 200_000}) {
                byte[] body = chunk(new SeededBytes(size, size), size).array();
                raw.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + size + "\r\n\r\n");
                raw.send(body);
                RawHttp.Response r = raw.read();
                assertEquals(200, r.status(), size + " bytes");
                assertEquals(size, r.head().contentLength(), "the echo has the request's length");
                assertTrue(java.util.Arrays.equals(body, r.body()), size + " bytes echoed as sent");
            }
        }
        assertEquals(1, endPointsOpened.size(), "all on one connection");
    }

    @Test
    void shouldServeHttp2WithPriorKnowledge() throws Exception {
        assumeRealSockets(NEEDS_JDK_SOCKETS);
        HttpClient h2 = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
        h2.setIdleTimeout(30_000);
        h2.start();
        try {
            ContentResponse hello = h2.newRequest(uri("/hello")).timeout(20, TimeUnit.SECONDS).send();
            assertEquals(200, hello.getStatus());
            assertEquals(HttpVersion.HTTP_2, hello.getVersion());
            assertEquals("Hello, World!", hello.getContentAsString());

            long size = 16L * MIB;
            InputStreamResponseListener listener = new InputStreamResponseListener();
            h2.POST(uri("/echo"))
                    .body(new InputStreamRequestContent("application/octet-stream", new SeededBytes(7, size), 64 * 1024))
                    .timeout(40, TimeUnit.SECONDS)
                    .send(listener);
            Response echo = listener.get(30, TimeUnit.SECONDS);
            assertEquals(200, echo.getStatus());
            assertEquals(HttpVersion.HTTP_2, echo.getVersion());
            assertEquals(SeededBytes.digest(7, size), SeededBytes.digest(listener.getInputStream()));
            assertEquals(1, endPointsOpened.size(), "both streams on one connection");
        } finally {
            h2.stop();
        }
    }

    @Test
    void shouldUpgradeTheJdkClientToH2c() throws Exception {
        assumeRealSockets(NEEDS_JDK_SOCKETS);
        try (java.net.http.HttpClient h2 = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<String> hello = h2.send(HttpRequest.newBuilder(uri("/hello")).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode());
            assertEquals(java.net.http.HttpClient.Version.HTTP_2, hello.version(), "upgraded with Upgrade: h2c");
            assertEquals("Hello, World!", hello.body());

            long size = 4L * MIB;
            HttpResponse<InputStream> echo = h2.send(HttpRequest.newBuilder(uri("/echo")).timeout(Duration.ofSeconds(40))
                            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SeededBytes(11, size))).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, echo.statusCode());
            assertEquals(java.net.http.HttpClient.Version.HTTP_2, echo.version());
            assertEquals(SeededBytes.digest(11, size), SeededBytes.digest(echo.body()));

            HttpResponse<InputStream> file = h2.send(HttpRequest.newBuilder(uri("/files/big.bin")).timeout(Duration.ofSeconds(40)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, file.statusCode());
            assertEquals(bigFileDigest(), SeededBytes.digest(file.body()), "a large file over HTTP/2");
            assertEquals(1, endPointsOpened.size(), "all on the upgraded connection");
        }
    }
}
