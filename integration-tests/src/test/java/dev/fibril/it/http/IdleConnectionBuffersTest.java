/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.syscall.uring.IoUringBackend;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A keep-alive connection that has been answered and waits for its next request keeps no buffer
 * of its own: hundreds of them, opened one after another, each answered with a header and a small
 * body (the end point's gathered write), leave the JVM's direct buffers about where they were.
 * Counted with the JVM's own direct-buffer pool bean, so a buffer kept per connection shows as
 * one more direct buffer per connection. Such connections also spread over the carriers, so that a
 * burst on them finds both carriers at work.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class IdleConnectionBuffersTest {
    private static final int CONNECTIONS = 300;
    private static final byte[] BODY = "hello from an idle-connection test\n".getBytes(StandardCharsets.US_ASCII);

    private FibrilRuntime runtime;
    private Server server;

    @AfterEach
    void stop() throws Exception {
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

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void shouldKeepNoBufferPerIdleConnection(String backend) throws Exception {
        assumeTrue(!backend.equals("io_uring") || IoUringBackend.probe().available(),
                () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        runtime = Fibril.runtime().carriers(2).backend(backend).build();
        InetSocketAddress address = startServer();
        List<Socket> clients = new ArrayList<>(CONNECTIONS);
        try {
            answer(open(address, clients)); // the first pays for the runtime's and Jetty's pools
            long before = directBuffers();
            int fibrilsBefore = runtime.stats().fibrilsAlive();
            for (int i = 1; i < CONNECTIONS; i++) {
                answer(open(address, clients));
            }
            long grown = directBuffers() - before;
            assertTrue(grown < CONNECTIONS / 4, () -> (CONNECTIONS - 1) + " idle connections added " + grown
                    + " direct buffers on " + backend + ": a buffer is kept per connection");
            // the fibril that answered may still be on its way out: wait for the count to settle
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertTrue(
                    runtime.stats().fibrilsAlive() - fibrilsBefore < CONNECTIONS / 4,
                    () -> (CONNECTIONS - 1) + " idle connections keep " + (runtime.stats().fibrilsAlive() - fibrilsBefore)
                            + " more fibrils alive on " + backend + ": a fibril is kept per connection"));
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
    }

    /**
     * Thousands of idle connections, then a request on every one at once, against a runtime with
     * four receive buffers per carrier: when completions outrun the buffers' return the receives
     * wait for one (ReceiveLaterContractTest makes that happen for certain), and still every request
     * gets its whole response, and afterwards every buffer is back.
     */
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void shouldAnswerABurstOnEveryIdleConnectionWithFewReceiveBuffers(String backend) throws Exception {
        assumeTrue(!backend.equals("io_uring") || IoUringBackend.probe().available(),
                () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        runtime = Fibril.runtime().carriers(2).backend(backend).receiveBuffers(4, 4096).build();
        InetSocketAddress address = startServer();
        int connections = 2_000;
        List<Socket> clients = new ArrayList<>(connections);
        try {
            for (int i = 0; i < connections; i++) {
                answer(open(address, clients));
            }
            byte[] get = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            for (Socket s : clients) {
                s.getOutputStream().write(get); // all sent before any is read: the burst
            }
            for (Socket s : clients) {
                readResponse(s);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(0, runtime.stats().receiveBuffersLent(),
                    () -> "every receive buffer back after the burst: " + runtime.stats()));
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
    }

    /**
     * Idle connections opened one after another, each answered once, end up waiting on both
     * carriers: each one's armed receive is a descriptor in use on its carrier, and neither carrier
     * holds fewer than a quarter of them (placement by fibrils alive alone put nine in ten on the
     * carrier beside the acceptor, since an idle connection holds no fibril).
     */
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void shouldSpreadIdleConnectionsOverTheCarriers(String backend) throws Exception {
        assumeTrue(!backend.equals("io_uring") || IoUringBackend.probe().available(),
                () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        runtime = Fibril.runtime().carriers(2).backend(backend).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        runtime.meterBinder().bindTo(registry);
        InetSocketAddress address = startServer();
        int connections = 200;
        List<Socket> clients = new ArrayList<>(connections);
        try {
            for (int i = 0; i < connections; i++) {
                answer(open(address, clients));
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                double first = inUse(registry, 0);
                double second = inUse(registry, 1);
                assertTrue(first + second >= connections, () -> "an armed receive per idle connection: " + first + " + " + second);
                assertTrue(Math.min(first, second) >= connections / 4.0, () -> connections
                        + " idle connections wait " + first + " / " + second + " on the two carriers (descriptors in use)");
            });
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
    }

    private static double inUse(SimpleMeterRegistry registry, int carrier) {
        return registry.get("fibril.descriptors.in.use").tag("carrier", Integer.toString(carrier)).gauge().value();
    }

    private InetSocketAddress startServer() throws Exception {
        server = new Server();
        FibrilConnector connector = new FibrilConnector(server, runtime);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put("Content-Type", "text/plain");
                response.write(true, ByteBuffer.wrap(BODY), callback);
                return true;
            }
        });
        server.start();
        return new InetSocketAddress("127.0.0.1", connector.getLocalPort());
    }

    private static Socket open(InetSocketAddress address, List<Socket> clients) throws Exception {
        Socket s = new Socket();
        clients.add(s);
        s.connect(address);
        s.setSoTimeout(30_000);
        return s;
    }

    /** Sends one GET and reads its whole response, leaving the connection open and idle. */
    private static void answer(Socket s) throws Exception {
        OutputStream out = s.getOutputStream();
        out.write("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        readResponse(s);
    }

    /** Reads one whole response from {@code s}. */
    private static void readResponse(Socket s) throws Exception {
        InputStream in = s.getInputStream();
        StringBuilder got = new StringBuilder();
        String body = new String(BODY, StandardCharsets.US_ASCII);
        while (!got.toString().endsWith(body)) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("the server closed the connection; got: " + got);
            }
            got.append((char) b);
        }
        assertTrue(got.toString().startsWith("HTTP/1.1 200"), got::toString);
    }

    private static long directBuffers() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getCount();
            }
        }
        throw new AssertionError("the JVM reports no direct buffer pool");
    }
}
