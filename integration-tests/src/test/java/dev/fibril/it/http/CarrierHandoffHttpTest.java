/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.FibrilThreadPool;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Jetty on the FibrilConnector with one carrier: a handler that holds the carrier's thread (a CPU
 * loop, or a blocking java.io read of a FIFO) until 200 {@code /hello} requests on other
 * connections have been answered. Every fibril of the server — acceptor, end points, handlers —
 * shares that carrier, so the requests are answered only if the held carrier is handed to another
 * thread. Half the requests go over one keep-alive connection of the JDK's HttpClient, half over a
 * new connection each; all come from this platform thread.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CarrierHandoffHttpTest {
    private static final int HELLOS = 200;
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String HELLO = "Hello, World!";

    enum Hold { SPIN, FIFO_READ }

    @TempDir
    Path dir;

    private final AtomicInteger answered = new AtomicInteger();
    private volatile boolean abort;
    private Path fifo;
    private FibrilRuntime runtime;
    private Server server;

    static Stream<Arguments> cases() {
        return Stream.of("epoll", "io_uring").flatMap(b -> Stream.of(Hold.values()).map(h -> Arguments.of(b, h)));
    }

    @AfterEach
    void stop() throws Exception {
        abort = true;
        if (fifo != null) {
            // A handler still blocked on the FIFO (the test failed before feeding it): opening it for
            // reading and writing never blocks, and counts as a writer, so the handler's open(2)
            // returns and its read sees end of file at close.
            new RandomAccessFile(fifo.toFile(), "rw").close();
        }
        try {
            if (server != null) {
                server.stop();
            }
        } finally {
            if (runtime != null) {
                runtime.close();
            }
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void shouldAnswerEveryHelloWhileAHandlerHoldsTheOnlyCarrier(String backend, Hold hold) throws Exception {
        if (backend.equals("io_uring")) {
            IoUringProbe probe = IoUringBackend.probe();
            assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
        }
        if (hold == Hold.FIFO_READ) {
            fifo = mkfifo(dir.resolve("hold.fifo"));
        }
        runtime = Fibril.runtime().carriers(1).backend(backend).strict(true).build();
        server = new Server(new FibrilThreadPool(runtime));
        FibrilConnector connector = new FibrilConnector(server, runtime);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.setIdleTimeout(PATIENCE.toMillis());
        server.addConnector(connector);
        CountDownLatch holding = new CountDownLatch(1);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String path = Request.getPathInContext(request);
                if (path.equals("/block")) {
                    holding.countDown();
                    holdTheThread(hold);
                    respond(response, callback, "released");
                } else if (path.equals("/hello")) {
                    respond(response, callback, HELLO);
                } else {
                    Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                }
                return true;
            }
        });
        server.start();
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", connector.getLocalPort());

        try (Socket blocked = new Socket()) {
            blocked.setSoTimeout((int) PATIENCE.toMillis());
            blocked.connect(address, (int) PATIENCE.toMillis());
            blocked.getOutputStream().write(get("/block", true));
            assertTrue(holding.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the handler that holds the carrier started");

            helloOnOneKeepAliveConnection(address, HELLOS / 2);
            helloOnNewConnections(address, HELLOS - HELLOS / 2);
            assertEquals(HELLOS, answered.get());

            if (hold == Hold.FIFO_READ) {
                try (FileOutputStream feed = new FileOutputStream(fifo.toFile())) {
                    feed.write('!'); // the handler's read returns
                }
            }
            String released = readResponse(blocked, "/block");
            assertTrue(released.startsWith("HTTP/1.1 200") && released.endsWith("released"), released);
        }
    }

    /** What the /block handler does on its fibril's stack: holds the thread until 200 hellos were answered. */
    private void holdTheThread(Hold hold) throws IOException {
        switch (hold) {
            case SPIN -> {
                while (answered.get() < HELLOS && !abort) {
                    Thread.onSpinWait();
                }
            }
            case FIFO_READ -> {
                // open(2) blocks until the test opens the FIFO to write, after the hellos; then read(2) returns
                try (FileInputStream in = new FileInputStream(fifo.toFile())) {
                    in.read();
                }
            }
        }
    }

    private static void respond(Response response, Callback callback, String body) {
        response.setStatus(HttpStatus.OK_200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        Content.Sink.write(response, true, body, callback);
    }

    private void helloOnOneKeepAliveConnection(InetSocketAddress address, int count) throws Exception {
        HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(PATIENCE).build();
        try {
            HttpRequest hello = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/hello"))
                    .timeout(PATIENCE).GET().build();
            for (int i = 0; i < count; i++) {
                HttpResponse<String> r;
                try {
                    r = jdk.send(hello, HttpResponse.BodyHandlers.ofString());
                } catch (HttpTimeoutException e) {
                    fail("GET /hello #" + i + " (keep-alive) got no answer within " + PATIENCE.toSeconds()
                            + " s: the carrier is held and was not handed off", e);
                    return;
                }
                assertEquals(200, r.statusCode(), "GET /hello #" + i);
                assertEquals(HELLO, r.body());
                answered.incrementAndGet();
            }
        } finally {
            jdk.shutdownNow();
        }
    }

    private void helloOnNewConnections(InetSocketAddress address, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            try (Socket s = new Socket()) {
                s.setSoTimeout((int) PATIENCE.toMillis());
                s.connect(address, (int) PATIENCE.toMillis());
                s.getOutputStream().write(get("/hello", true));
                String r = readResponse(s, "/hello on new connection #" + i);
                assertTrue(r.startsWith("HTTP/1.1 200") && r.endsWith(HELLO), r);
                answered.incrementAndGet();
            }
        }
    }

    private static byte[] get(String path, boolean close) {
        return ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The whole response of a {@code Connection: close} request, up to end of stream. */
    private static String readResponse(Socket s, String what) throws IOException {
        try {
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError(what + " got no complete answer within " + PATIENCE.toSeconds()
                    + " s: the carrier is held and was not handed off", e);
        }
    }

    private static Path mkfifo(Path p) throws InterruptedException {
        try {
            Process mk = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
            assumeTrue(mk.waitFor(30, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo failed");
        } catch (IOException e) {
            assumeTrue(false, "mkfifo cannot run here: " + e.getMessage());
        }
        return p;
    }
}
