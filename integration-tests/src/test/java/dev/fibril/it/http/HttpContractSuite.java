package dev.fibril.it.http;

import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.demo.DemoServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.io.ArrayByteBufferPool;
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
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
    /** The running server's buffer pool, which remembers every buffer not yet released. */
    ArrayByteBufferPool.Tracking buffers;
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
        buffers = new ArrayByteBufferPool.Tracking();
        DemoServer.Options o = options().host("127.0.0.1").port(0).files(filesDir()).byteBufferPool(buffers);
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

    void awaitNoConnections() {
        await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> assertEquals(List.of(),
                List.copyOf(server.connector().getConnectedEndPoints()), "end points still connected"));
    }

    /** Waits until every buffer the server took from its pool went back (Jetty's tracking pool). */
    void awaitNoLeakedBuffers() {
        ArrayByteBufferPool.Tracking pool = buffers;
        await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> assertEquals(0, pool.getLeaks().size(),
                pool::dumpLeaks));
    }

    /**
     * A Fibril runtime's fibrils, descriptors in use, and the file descriptors open for its callers
     * (not counting those it holds for itself: the splice pipes a carrier makes for its sendFiles).
     */
    record Resources(int fibrilsAlive, int descriptorsInUse, int callersFileDescriptors) {
        /** A Fibril server with no connection: the acceptor fibril, its ACCEPT in flight, the listening socket. */
        static final Resources IDLE_SERVER = new Resources(1, 1, 1);

        static Resources of(FibrilRuntime rt) {
            RuntimeStats s = rt.stats();
            return new Resources(s.fibrilsAlive(), s.descriptorsInUse(),
                    rt.backend().openDescriptors() - s.ownFileDescriptors());
        }
    }

    /** For a Fibril server, waits until its runtime holds exactly what an idle server holds. */
    void awaitIdleRuntime() {
        if (fibrilConnector() == null) {
            return;
        }
        FibrilRuntime rt = server.runtime();
        await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> assertEquals(Resources.IDLE_SERVER, Resources.of(rt),
                () -> "runtime leaked fibrils or descriptors: " + rt.stats()));
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

    @Test
    void shouldHalfCloseAfterConnectionCloseAndAnswerAClientThatHalfClosed() throws Exception {
        // "Connection: close": the whole response, then the server shuts its output down (FIN, no reset)
        try (RawHttp raw = RawHttp.connect(server.uri())) {
            RawHttp.Response r = raw.send("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").read();
            assertHello(r);
            assertEquals("close", r.head().header("connection"));
            assertEquals(-1, raw.body().read(), "end of stream after the response");
        }
        // the client shuts its output down after its request: the response still comes, whole
        try (RawHttp raw = RawHttp.connect(server.uri())) {
            raw.send(RawHttp.get("/files/small.txt"));
            raw.socket().shutdownOutput();
            RawHttp.Response r = raw.read();
            assertNotNull(r, "no response to a half-closed client");
            assertEquals(200, r.status());
            assertEquals(SMALL_FILE_TEXT, r.text());
            assertTrue(raw.awaitClosedByServer(), "the server ends the connection after answering");
        }
        awaitNoConnections();
        awaitIdleRuntime();
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
            // the writer counts a chunk once sendFile returned, which can be after the client read it
            org.awaitility.Awaitility.await("the body went out with sendFile").atMost(Duration.ofSeconds(30))
                    .until(() -> fibril.getSentFileBytes() - sentBefore >= BIG_FILE_SIZE);
        }

        long sentBetween = fibril == null ? 0 : fibril.getSentFileBytes();
        HttpResponse<InputStream> r = jdk.send(HttpRequest.newBuilder(uri("/files/big.bin")).timeout(Duration.ofSeconds(50)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertEquals(BIG_FILE_SIZE, r.headers().firstValueAsLong("content-length").orElse(-1));
        assertEquals(bigFileDigest(), SeededBytes.digest(r.body()), "JDK client");
        if (fibril != null) {
            // the writer counts a chunk once sendFile returned, which can be after the client read it
            org.awaitility.Awaitility.await("the body went out with sendFile").atMost(Duration.ofSeconds(30))
                    .until(() -> fibril.getSentFileBytes() - sentBetween >= BIG_FILE_SIZE);
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

    // ------------------------------------------------------------------ 5. many connections

    @Test
    void shouldServeAThousandConcurrentConnectionsAndCloseThemAll() throws Exception {
        int connections = 1_000;
        int batch = 25; // under any listen backlog (Jetty's ServerConnector asks for the JDK's 50)
        List<RawHttp> clients = new ArrayList<>(connections);
        try {
            for (int i = 0; i < connections; i++) {
                clients.add(RawHttp.connect(server.uri()));
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

    // ------------------------------------------------------------------ 6. slow client

    @Test
    void shouldFreeKeptAliveConnectionsTheirClientsReset() throws Exception {
        List<RawHttp> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                RawHttp c = RawHttp.connect(server.uri());
                clients.add(c);
                c.send(RawHttp.get("/hello"));
                assertEquals(200, c.read().status(), "connection " + i);
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> server.connector().getConnectedEndPoints().size() == 20);
            for (RawHttp c : clients) {
                c.socket().setSoLinger(true, 0); // close sends RST, not FIN
                c.close();
            }
        } finally {
            for (RawHttp c : clients) {
                c.close();
            }
        }
        awaitNoConnections(); // well before the 30 s idle timeout
    }

    @Test
    void shouldCloseAStalledClientAtTheIdleTimeoutAndServeOthersMeanwhile() throws Exception {
        Duration idleTimeout = Duration.ofSeconds(1);
        restartServer(o -> o.idleTimeout(idleTimeout));
        byte[] head = "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Slow: trickle".getBytes(StandardCharsets.US_ASCII);
        int trickled = 20; // at 100 ms a byte: twice the idle timeout, so only the trickle keeps it open
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        try (RawHttp slow = RawHttp.connect(server.uri())) {
            int slowPort = slow.socket().getLocalPort();
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
                RawHttp c = RawHttp.connect(server.uri());
                stalled.add(c);
                assertEquals(200, c.send(RawHttp.get("/files/big.bin")).readHead().status());
            }
            RawHttp echo = RawHttp.connect(server.uri());
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
                ports.add(c.socket().getLocalPort());
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
        jetty.stop(); // its kept-alive connection is the only one left
        awaitNoConnections();
        awaitIdleRuntime();
        awaitNoLeakedBuffers();
    }

    // ------------------------------------------------------------------ 7. aborting clients

    @Test
    void shouldForgetClientsThatAbortMidResponseOrMidRequest() throws Exception {
        // 1. reads 1 MiB of a 64 MiB download, then closes (FIN; the server's next writes fail)
        try (RawHttp c = RawHttp.connect(server.uri())) {
            RawHttp.Head h = c.send(RawHttp.get("/files/big.bin")).readHead();
            assertEquals(200, h.status());
            assertEquals(MIB, c.body().readNBytes(MIB).length);
        }
        // 2. the same, closed with a reset (SO_LINGER 0)
        try (RawHttp c = RawHttp.connect(server.uri())) {
            RawHttp.Head h = c.send(RawHttp.get("/files/big.bin")).readHead();
            assertEquals(200, h.status());
            assertEquals(MIB, c.body().readNBytes(MIB).length);
            c.socket().setSoLinger(true, 0);
        }
        // 3. announces 64 MiB to /echo, sends 1 MiB, reads some of the echo, closes
        try (RawHttp c = RawHttp.connect(server.uri())) {
            c.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + 64 * MIB + "\r\n\r\n");
            SeededBytes body = new SeededBytes(3, MIB);
            c.send(chunk(body, MIB).array());
            RawHttp.Head h = c.readHead();
            assertEquals(200, h.status());
            assertEquals(64 * 1024, c.body().readNBytes(64 * 1024).length);
        }
        // 4. a big upload with chunked encoding, closed mid-chunk without reading anything
        try (RawHttp c = RawHttp.connect(server.uri())) {
            c.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n");
            c.send(chunk(new SeededBytes(4, 4096), 4096).array());
        }
        awaitNoConnections();
        awaitIdleRuntime();
        awaitNoLeakedBuffers();
        assertServesHello();
    }

    // ------------------------------------------------------------------ 8. malformed requests

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
            try (RawHttp c = RawHttp.connect(server.uri())) {
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

    // ------------------------------------------------------------------ 9. stop with requests in flight

    @Test
    void shouldStopWithRequestsInFlightAndLeaveNoneHanging() throws Exception {
        // An untracked pool here: Jetty's tracking pool records every retain of a buffer, and the
        // upload below that never ends grows that record (a copy-on-write list) without bound; the
        // copying then kept ServerConnector's selector thread too busy to ever run the stop.
        restartServer(o -> o.stopTimeout(Duration.ofSeconds(2)).byteBufferPool(new ArrayByteBufferPool()));
        long uploadSize = 8L * MIB;
        List<CompletableFuture<String>> uploads = new ArrayList<>();
        List<AsyncRequestContent> contents = new ArrayList<>();
        List<SeededBytes> sources = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // uploads 0 and 1 end after uploadSize bytes; upload 2 never ends: only the stop can end it
            SeededBytes source = new SeededBytes(20 + i, i < 2 ? uploadSize : Long.MAX_VALUE);
            AsyncRequestContent content = new AsyncRequestContent("application/octet-stream");
            CompletableFuture<String> outcome = new CompletableFuture<>();
            CountDownLatch headers = new CountDownLatch(1);
            java.security.MessageDigest md = SeededBytes.sha256();
            content.write(false, chunk(source, 256 * 1024), Callback.NOOP);
            jetty.POST(uri("/echo"))
                    .body(content)
                    .idleTimeout(30, TimeUnit.SECONDS)
                    .onResponseHeaders(r -> headers.countDown())
                    .onResponseContent((r, buf) -> md.update(buf))
                    .send(result -> {
                        if (result.isFailed()) {
                            outcome.completeExceptionally(result.getFailure());
                        } else if (result.getResponse().getStatus() != 200) {
                            outcome.completeExceptionally(new IOException("status " + result.getResponse().getStatus()));
                        } else {
                            outcome.complete(java.util.HexFormat.of().formatHex(md.digest()));
                        }
                    });
            assertTrue(headers.await(20, TimeUnit.SECONDS), "upload " + i + " is being echoed");
            uploads.add(outcome);
            contents.add(content);
            sources.add(source);
        }
        List<RawHttp> downloads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            RawHttp c = RawHttp.connect(server.uri());
            downloads.add(c);
            assertEquals(200, c.send(RawHttp.get("/files/big.bin")).readHead().status(), "download " + i + " started");
        }

        CompletableFuture<Void> closing = new CompletableFuture<>();
        Thread closer = new Thread(() -> {
            try {
                server.close();
                closing.complete(null);
            } catch (Throwable t) {
                closing.completeExceptionally(t);
            }
        }, "server-close");
        closer.start();

        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (int i = 0; i < 3; i++) {
                AsyncRequestContent content = contents.get(i);
                SeededBytes source = sources.get(i);
                clients.submit(() -> {
                    try {
                        while (source.available() > 0) {
                            Callback.Completable written = new Callback.Completable();
                            content.write(false, chunk(source, 64 * 1024), written);
                            written.get(30, TimeUnit.SECONDS);
                        }
                        content.close();
                    } catch (Exception e) {
                        content.fail(e);
                    }
                    return null;
                });
            }
            // download 0 reads at once; download 1 reads only after the stop returned
            List<CompletableFuture<String>> reads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                RawHttp c = downloads.get(i);
                boolean afterStop = i == 1;
                reads.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        if (afterStop) {
                            closing.handle((v, t) -> null).get(40, TimeUnit.SECONDS);
                        }
                        CountingInputStream body = new CountingInputStream(
                                new BoundedInputStream(c.body(), BIG_FILE_SIZE));
                        String digest = SeededBytes.digest(body);
                        if (body.count() < BIG_FILE_SIZE) {
                            throw new java.io.EOFException("download ended after " + body.count() + " bytes");
                        }
                        return digest;
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, clients));
            }

            try {
                await().atMost(30, TimeUnit.SECONDS).until(closing::isDone);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("server.close() still running after 30 s:\n" + threadDump(), e);
            }
            List<CompletableFuture<String>> all = new ArrayList<>(uploads);
            all.addAll(reads);
            await().atMost(30, TimeUnit.SECONDS).untilAsserted(() ->
                    assertTrue(all.stream().allMatch(CompletableFuture::isDone), "requests still pending: " + describe(all)));
            System.out.printf("%s stop with requests in flight: close %s; %s%n", getClass().getSimpleName(),
                    closing.isCompletedExceptionally() ? "failed: " + closing.exceptionNow() : "returned", describe(all));
            if (closing.isCompletedExceptionally()) {
                assertInstanceOf(java.util.concurrent.TimeoutException.class, closing.exceptionNow(),
                        "stop may only report that the graceful wait timed out");
            }
            for (int i = 0; i < all.size(); i++) {
                CompletableFuture<String> f = all.get(i);
                if (f.isCompletedExceptionally()) {
                    assertFalse(isTimeout(f.exceptionNow()), "request " + i + " hung until its client timed out: " + f.exceptionNow());
                } else {
                    String expected = i < 2 ? SeededBytes.digest(20 + i, uploadSize) : i == 2 ? null : bigFileDigest();
                    assertEquals(expected, f.resultNow(), "request " + i + " completed with other bytes than were sent");
                }
            }
            assertTrue(uploads.get(2).isCompletedExceptionally(), "an upload that never ends cannot complete");
        } finally {
            clients.shutdownNow();
            for (RawHttp c : downloads) {
                c.close();
            }
        }
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
        assertTrue(r.body().contains("\njvm_memory_used_bytes{"), "Micrometer's JVM binders");
        assertTrue(r.body().contains("\nprocess_cpu_usage "), "Micrometer's process binders");
        assertTrue(r.body().contains("\nprocess_uptime_seconds "), "Micrometer's uptime binder");
    }

    /**
     * The end point's peer port, or -1 once it has closed: Jetty's ServerConnector end point
     * reports no remote address after its channel closes, and one may close while the list is read.
     */
    static int remotePort(org.eclipse.jetty.io.EndPoint ep) {
        return ep.getRemoteSocketAddress() instanceof java.net.InetSocketAddress a ? a.getPort() : -1;
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

    static boolean isTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SocketTimeoutException || c instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }

    static List<String> describe(List<CompletableFuture<String>> outcomes) {
        List<String> out = new ArrayList<>();
        for (CompletableFuture<String> f : outcomes) {
            out.add(f.isDone() ? (f.isCompletedExceptionally() ? "failed: " + f.exceptionNow() : "done: " + f.resultNow()) : "pending");
        }
        return out;
    }

    /** At most {@code limit} bytes of {@code in}; does not close it. */
    static final class BoundedInputStream extends java.io.FilterInputStream {
        private long left;

        BoundedInputStream(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public void close() {
        }
    }

    static ByteBuffer chunk(SeededBytes source, int size) {
        byte[] b = new byte[size];
        int n = source.read(b, 0, size);
        return ByteBuffer.wrap(b, 0, Math.max(n, 0));
    }

    /** Every thread's stack, for a failure that is a hang. */
    static String threadDump() {
        StringBuilder sb = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            sb.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
            for (StackTraceElement e : stack) {
                sb.append("    at ").append(e).append('\n');
            }
        });
        return sb.toString();
    }
}
