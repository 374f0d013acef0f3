/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.demo.DemoServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the HTTP contracts share: a demo server of one {@link ServerKind} per test, with
 * {@code /files/} serving a seeded 64 MiB file and a small one, Jetty's and the JDK's clients for
 * the servers on real sockets, {@link RawHttp} connections to any server (on the simulated kernel
 * through a FibrilSocketChannel of the server's runtime), and the leak checks. Each concern is a
 * class of its own, run on every server kind ({@code @ParameterizedClass}), so that Jetty's
 * ServerConnector and the FibrilConnector on each backend are held to the same behaviour.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class HttpContract {
    static final int MIB = 1 << 20;
    static final long BIG_FILE_SIZE = 64L * MIB;
    static final long BIG_FILE_SEED = 64;
    static final String SMALL_FILE_TEXT = "a small file\n";
    static final String SECRET_TEXT = "outside the served folder\n";
    /** Why a test that needs the Jetty or JDK client skips on the simulated kernel. */
    static final String NEEDS_JDK_SOCKETS = "the Jetty and JDK HTTP clients open JDK sockets, which cannot reach "
            + "the simulated kernel's in-process sockets";

    private static Path sharedDir;
    private static String bigFileDigest;

    @TempDir
    static Path classDir;

    final ServerKind kind;
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

    HttpContract(ServerKind kind) {
        this.kind = kind;
    }

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
        String unavailable = kind.unavailable();
        assumeTrue(unavailable == null, unavailable);
        server = startServer(o -> { });
        if (kind.realSockets()) {
            jetty = new HttpClient();
            jetty.setIdleTimeout(30_000);
            jetty.start();
            jdk = java.net.http.HttpClient.newBuilder()
                    .version(java.net.http.HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
        }
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

    /** Skips a test whose client needs a real socket, saying why. */
    void assumeRealSockets(String why) {
        assumeTrue(kind.realSockets(), why);
    }

    DemoServer startServer(Consumer<DemoServer.Options> tweak) throws Exception {
        buffers = new ArrayByteBufferPool.Tracking();
        DemoServer.Options o = kind.options().host("127.0.0.1").port(0).files(filesDir()).byteBufferPool(buffers);
        tweak.accept(o);
        DemoServer s = DemoServer.start(o);
        try {
            if (!kind.realSockets()) {
                copyServedFilesInto(s.runtime());
            }
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        s.connector().addEventListener(connectionListener);
        return s;
    }

    /**
     * The simulated kernel has a file system of its own, where the end point's sendFile reads: the
     * served files go there under the same paths that the files handler finds on the real one.
     */
    private static void copyServedFilesInto(FibrilRuntime rt) throws IOException {
        try (var files = Files.list(filesDir())) {
            for (Path p : files.toList()) {
                try (FibrilFileChannel ch = rt.openFile(p.toRealPath(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     InputStream in = Files.newInputStream(p)) {
                    byte[] chunk = new byte[MIB];
                    long at = 0;
                    for (int n = in.readNBytes(chunk, 0, chunk.length); n > 0; n = in.readNBytes(chunk, 0, chunk.length)) {
                        ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                        while (b.hasRemaining()) {
                            at += ch.write(b, at);
                        }
                    }
                }
            }
        }
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

    /** A raw HTTP/1.1 connection to the server: a JDK socket, or on the simulated kernel a Fibril channel of its runtime. */
    RawHttp connect() throws IOException {
        return kind.realSockets() ? RawHttp.connect(server.uri()) : RawHttp.connect(server.runtime(), server.uri());
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

    /** For a Fibril server, waits until its runtime holds exactly what an idle server holds, and no receive buffer is lent. */
    void awaitIdleRuntime() {
        if (fibrilConnector() == null) {
            return;
        }
        FibrilRuntime rt = server.runtime();
        await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> {
            assertEquals(Resources.IDLE_SERVER, Resources.of(rt), () -> "runtime leaked fibrils or descriptors: " + rt.stats());
            assertEquals(0, rt.stats().receiveBuffersLent(), () -> "receive buffers still lent: " + rt.stats());
        });
    }

    void assertHello(RawHttp.Response r) {
        assertNotNull(r, "connection ended instead of a response");
        assertEquals(200, r.status());
        assertEquals("Hello, World!", r.text());
    }

    /** The server still answers: Jetty's client where it can reach the server, else a raw connection. */
    void assertServesHello() throws Exception {
        if (!kind.realSockets()) {
            try (RawHttp raw = connect()) {
                assertHello(raw.send(RawHttp.get("/hello")).read());
            }
            return;
        }
        ContentResponse r = jetty.newRequest(uri("/hello")).timeout(20, TimeUnit.SECONDS).send();
        assertEquals(200, r.getStatus());
        assertEquals("Hello, World!", r.getContentAsString());
    }

    /**
     * The end point's peer port, or -1 once it has closed: Jetty's ServerConnector end point
     * reports no remote address after its channel closes, and one may close while the list is read.
     */
    static int remotePort(EndPoint ep) {
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

    static ByteBuffer chunk(SeededBytes source, int size) {
        byte[] b = new byte[size];
        int n = source.read(b, 0, size);
        return ByteBuffer.wrap(b, 0, Math.max(n, 0));
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
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
