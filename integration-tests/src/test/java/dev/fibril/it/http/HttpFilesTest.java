/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.jetty.FibrilConnector;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /files/*}: large files byte-exact (sent with sendFile on a Fibril end point), and nothing outside the folder. */
@ParameterizedClass
@EnumSource(ServerKind.class)
class HttpFilesTest extends HttpContract {
    HttpFilesTest(ServerKind kind) {
        super(kind);
    }

    /** Waits for the connector's sendFile count to pass {@code before} by a whole file. */
    private static void awaitSentWithSendFile(FibrilConnector fibril, long before) {
        if (fibril != null) {
            // the writer counts a chunk once sendFile returned, which can be after the client read it
            await("the body went out with sendFile").atMost(Duration.ofSeconds(30))
                    .until(() -> fibril.getSentFileBytes() - before >= BIG_FILE_SIZE);
        }
    }

    @Test
    void shouldServeALargeFileByteExactToBothClients() throws Exception {
        assumeRealSockets(NEEDS_JDK_SOCKETS);
        FibrilConnector fibril = fibrilConnector();
        long sentBefore = fibril == null ? 0 : fibril.getSentFileBytes();
        InputStreamResponseListener listener = new InputStreamResponseListener();
        jetty.newRequest(uri("/files/big.bin")).timeout(50, TimeUnit.SECONDS).send(listener);
        Response response = listener.get(30, TimeUnit.SECONDS);
        assertEquals(200, response.getStatus());
        assertEquals(BIG_FILE_SIZE, response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH));
        assertEquals(bigFileDigest(), SeededBytes.digest(listener.getInputStream()), "Jetty client");
        awaitSentWithSendFile(fibril, sentBefore);

        long sentBetween = fibril == null ? 0 : fibril.getSentFileBytes();
        HttpResponse<InputStream> r = jdk.send(HttpRequest.newBuilder(uri("/files/big.bin")).timeout(Duration.ofSeconds(50)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertEquals(BIG_FILE_SIZE, r.headers().firstValueAsLong("content-length").orElse(-1));
        assertEquals(bigFileDigest(), SeededBytes.digest(r.body()), "JDK client");
        awaitSentWithSendFile(fibril, sentBetween);
    }

    @Test
    void shouldServeALargeFileByteExactTwiceOnOneRawConnection() throws Exception {
        FibrilConnector fibril = fibrilConnector();
        try (RawHttp raw = connect()) {
            for (int i = 0; i < 2; i++) {
                long sentBefore = fibril == null ? 0 : fibril.getSentFileBytes();
                RawHttp.Head head = raw.send(RawHttp.get("/files/big.bin")).readHead();
                assertNotNull(head, "no response");
                assertEquals(200, head.status());
                assertEquals(BIG_FILE_SIZE, head.contentLength());
                CountingInputStream body = new CountingInputStream(new BoundedInputStream(raw.body(), BIG_FILE_SIZE));
                assertEquals(bigFileDigest(), SeededBytes.digest(body), "download " + i);
                assertEquals(BIG_FILE_SIZE, body.count());
                awaitSentWithSendFile(fibril, sentBefore);
            }
        }
        assertEquals(1, endPointsOpened.size(), "both on one connection");
        awaitIdleRuntime();
    }

    @Test
    void shouldNeverServeAFileOutsideTheFolder() throws Exception {
        String[] escapes = {
                "/files/../secret.txt",
                "/files/%2e%2e/secret.txt",
                "/files/%2E%2E/secret.txt",
                "/files/..%2fsecret.txt",
                "/files/%2e%2e%2fsecret.txt",
                "/files/small.txt/../../secret.txt",
                "/files/./../secret.txt",
                "/files/..\\secret.txt",
                "/files/" + classDir.resolve("secret.txt"),
        };
        for (String path : escapes) {
            try (RawHttp raw = connect()) {
                RawHttp.Response r = raw.send(RawHttp.get(path)).read();
                assertNotNull(r, path);
                assertTrue(r.status() == 400 || r.status() == 404, path + " answered " + r.status());
                assertFalse(r.text().contains(SECRET_TEXT.trim()), path + " leaked the secret");
            }
        }
        try (RawHttp raw = connect()) {
            assertEquals(404, raw.send(RawHttp.get("/files/missing.txt")).read().status());
            assertEquals(404, raw.send(RawHttp.get("/files/")).read().status());
            RawHttp.Response small = raw.send(RawHttp.get("/files/small.txt")).read();
            assertEquals(200, small.status(), "the folder itself is served");
            assertEquals(SMALL_FILE_TEXT, small.text());
        }
    }
}
