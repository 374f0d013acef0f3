package dev.fibril.it.http;

import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.demo.DemoServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamRequestContent;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every server kind must do for real HTTP clients on loopback: Jetty's HttpClient, the JDK's
 * HttpClient, HTTP/2 clients and raw sockets that misbehave. Subclassed once per connector and
 * backend, so that Jetty's ServerConnector and the FibrilConnector are held to the same behaviour.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class HttpContractSuite {
    static final int MIB = 1 << 20;
    static final long BIG_FILE_SIZE = 64L * MIB;
    static final long BIG_FILE_SEED = 64;
    static final String SMALL_FILE_TEXT = "a small file\n";
    static final String SECRET_TEXT = "outside the served folder\n";
    static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

    private static Path sharedDir;
    private static String bigFileDigest;

    @TempDir
    static Path classDir;

    DemoServer server;
    HttpClient jetty;
    java.net.http.HttpClient jdk;
    /** Every end point a connection was opened on, across the server's life: one per TCP connection. */
    final Set<EndPoint> endPointsOpened = ConcurrentHashMap.newKeySet();
    private final Connection.Listener connectionListener = new Connection.Listener() {
        @Override
        public void onOpened(Connection connection) {
            endPointsOpened.add(connection.getEndPoint());
        }
    };

    /** The connector, pool and backend of this server kind; the suite adds port, host and files. */
    abstract DemoServer.Options options();

    /** The served folder: {@code files/big.bin} (64 MiB, seeded), {@code files/small.txt}; {@code secret.txt} beside it. */
    static synchronized Path filesDir() throws IOException {
        if (sharedDir == null || !classDir.equals(sharedDir.getParent())) {
            Path files = Files.createDirectories(classDir.resolve("files"));
            bigFileDigest = SeededBytes.writeFile(files.resolve("big.bin"), BIG_FILE_SEED, BIG_FILE_SIZE);
            Files.writeString(files.resolve("small.txt"), SMALL_FILE_TEXT);
            Files.writeString(classDir.resolve("secret.txt"), SECRET_TEXT);
            sharedDir = files;
        }
        return sharedDir;
    }

    static String bigFileDigest() throws IOException {
        filesDir();
        return bigFileDigest;
    }

    @BeforeEach
    void start() throws Exception {
        server = startServer(o -> { });
        jetty = new HttpClient();
        jetty.setIdleTimeout(30_000);
        jetty.start();
        jdk = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (jetty != null) {
                jetty.stop();
            }
            if (jdk != null) {
                jdk.shutdownNow();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    DemoServer startServer(Consumer<DemoServer.Options> tweak) throws Exception {
        DemoServer.Options o = options().host("127.0.0.1").port(0).files(filesDir());
        tweak.accept(o);
        DemoServer s = DemoServer.start(o);
        s.connector().addEventListener(connectionListener);
        return s;
    }

    /** Replaces the running server by one with {@code tweak} applied to its options. */
    void restartServer(Consumer<DemoServer.Options> tweak) throws Exception {
        server.close();
        server = null;
        endPointsOpened.clear();
        server = startServer(tweak);
    }

    URI uri(String path) {
        return server.uri().resolve(path);
    }

    FibrilConnector fibrilConnector() {
        return server.connector() instanceof FibrilConnector f ? f : null;
    }

    void assertHello(RawHttp.Response r) {
        assertNotNull(r, "connection ended instead of a response");
        assertEquals(200, r.status());
        assertEquals("Hello, World!", r.text());
    }

    void assertServesHello() throws Exception {
        ContentResponse r = jetty.newRequest(uri("/hello")).timeout(20, TimeUnit.SECONDS).send();
        assertEquals(200, r.getStatus());
        assertEquals("Hello, World!", r.getContentAsString());
    }

    // ------------------------------------------------------------------ 1. clients and keep-alive

    @Test
    void shouldServeHelloToJettyClientOverOneKeptAliveConnection() throws Exception {
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
    void shouldServeTwoRequestsInTurnOnOneRawConnection() throws Exception {
        try (RawHttp raw = RawHttp.connect(server.uri())) {
            assertHello(raw.send(RawHttp.get("/hello")).read());
            assertHello(raw.send(RawHttp.get("/hello")).read());
        }
        assertEquals(1, endPointsOpened.size());
    }

    // ------------------------------------------------------------------ 2. pipelining

    @Test
    void shouldAnswerFiftyPipelinedRequestsInOrder() throws Exception {
        String[] paths = {"/hello", "/files/small.txt", "/files/missing.txt"};
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            all.append(RawHttp.get(paths[i % 3]));
        }
        try (RawHttp raw = RawHttp.connect(server.uri())) {
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

    // ------------------------------------------------------------------ 3. chunked upload

    @Test
    void shouldEchoAHundredMebibyteChunkedUploadByteExact() throws Exception {
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

    // ------------------------------------------------------------------ 4. files

    @Test
    void shouldServeALargeFileByteExactToBothClients() throws Exception {
        FibrilConnector fibril = fibrilConnector();
        long sentBefore = fibril == null ? 0 : fibril.getSentFileBytes();
        InputStreamResponseListener listener = new InputStreamResponseListener();
        jetty.newRequest(uri("/files/big.bin")).timeout(50, TimeUnit.SECONDS).send(listener);
        Response response = listener.get(30, TimeUnit.SECONDS);
        assertEquals(200, response.getStatus());
        assertEquals(BIG_FILE_SIZE, response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH));
        assertEquals(bigFileDigest(), SeededBytes.digest(listener.getInputStream()), "Jetty client");
        if (fibril != null) {
            assertTrue(fibril.getSentFileBytes() - sentBefore >= BIG_FILE_SIZE,
                    "the body went out with sendFile: " + (fibril.getSentFileBytes() - sentBefore) + " bytes");
        }

        long sentBetween = fibril == null ? 0 : fibril.getSentFileBytes();
        HttpResponse<InputStream> r = jdk.send(HttpRequest.newBuilder(uri("/files/big.bin")).timeout(Duration.ofSeconds(50)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertEquals(BIG_FILE_SIZE, r.headers().firstValueAsLong("content-length").orElse(-1));
        assertEquals(bigFileDigest(), SeededBytes.digest(r.body()), "JDK client");
        if (fibril != null) {
            assertTrue(fibril.getSentFileBytes() - sentBetween >= BIG_FILE_SIZE,
                    "the body went out with sendFile: " + (fibril.getSentFileBytes() - sentBetween) + " bytes");
        }
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
            try (RawHttp raw = RawHttp.connect(server.uri())) {
                RawHttp.Response r = raw.send(RawHttp.get(path)).read();
                assertNotNull(r, path);
                assertTrue(r.status() == 400 || r.status() == 404, path + " answered " + r.status());
                assertFalse(r.text().contains(SECRET_TEXT.trim()), path + " leaked the secret");
            }
        }
        assertEquals(404, jetty.newRequest(uri("/files/missing.txt")).timeout(20, TimeUnit.SECONDS).send().getStatus());
        assertEquals(404, jetty.newRequest(uri("/files/")).timeout(20, TimeUnit.SECONDS).send().getStatus());
        assertEquals(200, jetty.newRequest(uri("/files/small.txt")).timeout(20, TimeUnit.SECONDS).send().getStatus(),
                "the folder itself is served");
    }

    // ------------------------------------------------------------------ 10. h2c

    @Test
    void shouldServeHttp2WithPriorKnowledge() throws Exception {
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

    // ------------------------------------------------------------------ 11. metrics

    @Test
    void shouldExposePrometheusMetrics() throws Exception {
        assertServesHello();
        HttpResponse<String> r = jdk.send(HttpRequest.newBuilder(uri("/metrics")).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElse(null));
        assertTrue(r.body().contains("jetty_connections_"), "Jetty's connection meters");
        assertTrue(r.body().contains("jetty_server_requests_seconds_count"), "the request timer of micrometer's TimedHandler");
        assertEquals(fibrilConnector() != null, r.body().contains("fibril_"), "Fibril's meters exactly when Fibril runs");
    }

    /** Counts what passes through. */
    static final class CountingInputStream extends java.io.FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        long count() {
            return count;
        }
    }
}
