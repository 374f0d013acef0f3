/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.FibrilThreadPool;
import dev.fibril.jetty.demo.EchoHandler;
import dev.fibril.jetty.demo.HelloHandler;
import dev.fibril.syscall.sim.Fault;
import dev.fibril.syscall.sim.Latency;
import dev.fibril.syscall.sim.SimulatedKernel;
import dev.fibril.syscall.sim.SimulatedKernelBuilder;

import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.pathmap.PathSpec;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.PathMappingsHandler;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jetty on the FibrilConnector over the simulated kernel with every socket fault on: 10,000
 * requests (GET /hello, POST /echo with bodies from empty to 160 KiB, by length and chunked, on
 * kept-alive and new connections, some asking to close) from client fibrils on the same kernel.
 * Every response is byte-exact, or its request fails with an IOException on a connection that a
 * fault reset (at most one failed request per ECONNRESET injected); no request hangs (a read
 * timeout would end it, and is counted as a failure of the test). Afterwards no connection, fd,
 * descriptor, fibril, lent receive buffer or Jetty buffer is left.
 *
 * <p>Determinism: the kernel runs in virtual time on one carrier with the hand-off off, and one
 * fibril starts every client, so each op's fault is decided by the seed and the order in which the
 * carrier's fibrils submit, which nothing outside the carrier changes. Jetty's scheduler is a
 * {@link HeldScheduler} (no thread; every timeout of the run is minutes away): its own scheduler's
 * thread woke fibrils that met it on its queue lock at moments of real time, which reordered the
 * carrier's run queue and, about one run in six, the faults. Two runs with one seed give the same
 * summary (faults injected of each kind and every request's outcome), another seed another.
 */
@Tag("slow")
class HttpFaultsALot {
    private static final int CLIENTS = 8;
    private static final int REQUESTS_PER_CLIENT = 1_250;
    private static final int[] BODY_SIZES = {0, 1, 17, 512, 1_460, 4_096, 8_193, 16_384, 65_536, 163_840};
    private static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

    /** What one run gave: faults injected per kind, and each client's outcomes in order ('.' byte-exact, 'E' IOException). */
    record Summary(Map<Fault, Long> faults, List<String> outcomes) {
        long failed() {
            return outcomes.stream().mapToLong(o -> o.chars().filter(c -> c == 'E').count()).sum();
        }

        long requests() {
            return outcomes.stream().mapToLong(String::length).sum();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldAnswerEveryRequestByteExactOrFailItCleanlyAndReplayTheSameRunFromTheSeed() throws Exception {
        Summary first = run(20261202L);
        System.out.printf("HttpFaultsALot seed 20261202: %d requests, %d failed cleanly; faults %s%n",
                first.requests(), first.failed(), first.faults());
        assertEquals((long) CLIENTS * REQUESTS_PER_CLIENT, first.requests());
        for (Fault f : List.of(Fault.EINTR, Fault.EAGAIN, Fault.SHORT_READ, Fault.SHORT_WRITE, Fault.ECONNRESET,
                Fault.DELAY, Fault.REORDER)) {
            assertTrue(first.faults().get(f) > 0, "no " + f + " was injected: " + first.faults());
        }
        assertTrue(first.failed() <= first.faults().get(Fault.ECONNRESET),
                "more requests failed (" + first.failed() + ") than faults reset connections: " + first.faults());

        assertEquals(first, run(20261202L), "the same seed, the same run");
        assertNotEquals(first, run(7L), "another seed, another run");
    }

    private Summary run(long seed) throws Exception {
        double p = 0.01;
        SimulatedKernelBuilder kb = SimulatedKernel.builder().seed(seed).virtualTime()
                .latency(Latency.uniform(0, 20_000))
                .fault(Fault.EINTR, p).fault(Fault.EAGAIN, p)
                .fault(Fault.SHORT_READ, 0.05).fault(Fault.SHORT_WRITE, 0.05)
                .fault(Fault.ECONNRESET, 0.001)
                .fault(Fault.DELAY, p).maxFaultDelay(Duration.ofMillis(1))
                .fault(Fault.REORDER, 0.02);
        SimulatedKernel kernel = kb.build();
        FibrilRuntime rt = Fibril.runtime().carriers(1).backend(kernel).strict(true)
                .handoffThreshold(Duration.ZERO).build();
        ArrayByteBufferPool.Tracking buffers = new ArrayByteBufferPool.Tracking();
        Server server = new Server(new FibrilThreadPool(rt), new HeldScheduler(), buffers);
        try {
            FibrilConnector connector = new FibrilConnector(server, rt, new HttpConnectionFactory());
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            connector.setIdleTimeout(TimeUnit.MINUTES.toMillis(10)); // real time: never within the run
            server.addConnector(connector);
            PathMappingsHandler routes = new PathMappingsHandler(false);
            routes.addMapping(PathSpec.from("/hello"), new HelloHandler());
            routes.addMapping(PathSpec.from("/echo"), new EchoHandler());
            server.setHandler(routes);
            server.start();
            URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/");
            // Starts from a quiet carrier: the acceptor parked in its ACCEPT, nothing else running.
            await().atMost(20, TimeUnit.SECONDS).until(() -> rt.stats().fibrilsAlive() == 1 && rt.stats().descriptorsInUse() == 1);

            String[] outcomes = new String[CLIENTS];
            List<Throwable> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread driver = rt.start(() -> {
                Thread[] clients = new Thread[CLIENTS];
                for (int c = 0; c < CLIENTS; c++) {
                    int id = c;
                    clients[c] = rt.start(() -> outcomes[id] = client(rt, connector, base, new SplittableRandom(seed * 31 + id), wrong));
                }
                for (Thread t : clients) {
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            });
            assertTrue(driver.join(Duration.ofSeconds(150)), "the clients did not finish:\n" + HttpContract.threadDump());
            assertEquals(List.of(), wrong, "responses that were neither byte-exact nor a clean failure");

            await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> assertEquals(List.of(),
                    List.copyOf(connector.getConnectedEndPoints()), "connections left open"));
            await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> {
                RuntimeStats s = rt.stats();
                assertEquals(0, s.receiveBuffersLent(), () -> "receive buffers not returned: " + s);
                assertEquals(1, s.fibrilsAlive(), () -> "fibrils left (the acceptor is the one): " + s);
                assertEquals(1, s.descriptorsInUse(), () -> "descriptors left (the acceptor's ACCEPT is the one): " + s);
                assertEquals(1, rt.backend().openDescriptors() - s.ownFileDescriptors(), "fds left (the listener is the one)");
            });
            await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> assertEquals(0, buffers.getLeaks().size(), buffers::dumpLeaks));

            Map<Fault, Long> faults = new EnumMap<>(Fault.class);
            for (Fault f : Fault.values()) {
                faults.put(f, kernel.faultsInjected(f));
            }
            return new Summary(faults, List.of(outcomes));
        } finally {
            server.stop();
            rt.close();
        }
    }

    /** One client's requests in turn; returns its outcomes. A response that is not byte-exact goes to {@code wrong}. */
    private static String client(FibrilRuntime rt, FibrilConnector connector, URI base, SplittableRandom plan,
                                 List<Throwable> wrong) {
        StringBuilder outcomes = new StringBuilder(REQUESTS_PER_CLIENT);
        RawHttp conn = null;
        for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
            boolean hello = plan.nextInt(3) == 0;
            int size = BODY_SIZES[plan.nextInt(BODY_SIZES.length)];
            boolean chunked = plan.nextInt(4) == 0;
            boolean close = plan.nextInt(10) == 0;
            byte[] body = new byte[hello ? 0 : size];
            plan.nextBytes(body);
            try {
                if (conn == null) {
                    conn = RawHttp.connect(rt, base);
                }
                RawHttp.Response r = hello ? conn.send(request("GET /hello", close, null, false)).read()
                        : send(conn, body, chunked, close);
                if (r == null) {
                    throw new EOFException("the connection ended before the response");
                }
                byte[] expected = hello ? HELLO : body;
                if (r.status() != 200 || !Arrays.equals(expected, r.body())) {
                    wrong.add(new AssertionError("request " + i + " (" + (hello ? "hello" : "echo of " + size
                            + (chunked ? " chunked" : "")) + "): status " + r.status() + ", " + r.body().length
                            + " bytes, " + (Arrays.equals(expected, r.body()) ? "as sent" : "not as sent at " + Arrays.mismatch(expected, r.body()))
                            + (r.status() != 200 ? ": " + r.text() : "")));
                    outcomes.append('W');
                } else {
                    outcomes.append('.');
                }
                if (close) {
                    conn.close();
                    conn = null;
                }
            } catch (java.net.SocketTimeoutException e) {
                wrong.add(new AssertionError("request " + i + " (" + (hello ? "hello" : "echo of " + size
                        + (chunked ? " chunked" : "")) + ") hung until its read timeout; the server's end of it: "
                        + serverEnd(connector, conn) + "; " + rt.stats(), e));
                outcomes.append('T');
                conn = closeQuietly(conn);
            } catch (IOException e) {
                outcomes.append('E');
                conn = closeQuietly(conn);
            }
        }
        closeQuietly(conn);
        return outcomes.toString();
    }

    private static RawHttp.Response send(RawHttp conn, byte[] body, boolean chunked, boolean close) throws IOException {
        conn.send(request("POST /echo", close, chunked ? null : body.length, chunked));
        if (chunked) {
            int at = 0;
            while (at < body.length) {
                int n = Math.min(body.length - at, 4_000);
                conn.send((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                conn.send(Arrays.copyOfRange(body, at, at + n));
                conn.send("\r\n".getBytes(StandardCharsets.US_ASCII));
                at += n;
            }
            conn.send("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else if (body.length > 0) {
            conn.send(body);
        }
        return conn.read();
    }

    private static byte[] request(String line, boolean close, Integer length, boolean chunked) {
        StringBuilder sb = new StringBuilder(line).append(" HTTP/1.1\r\nHost: localhost\r\n");
        if (length != null) {
            sb.append("Content-Length: ").append(length).append("\r\n");
        }
        if (chunked) {
            sb.append("Transfer-Encoding: chunked\r\n");
        }
        if (close) {
            sb.append("Connection: close\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The server's end point of {@code conn}, with its fill interest and write state, for a request that hung. */
    private static String serverEnd(FibrilConnector connector, RawHttp conn) {
        if (conn == null) {
            return "no connection";
        }
        try {
            int port = conn.localPort();
            for (org.eclipse.jetty.io.EndPoint ep : connector.getConnectedEndPoints()) {
                if (HttpContract.remotePort(ep) == port && ep instanceof org.eclipse.jetty.io.AbstractEndPoint a) {
                    return a + " " + a.getFillInterest() + " " + a.getWriteFlusher() + " " + a.getConnection();
                }
            }
            return "none (closed)";
        } catch (IOException e) {
            return "unknown: " + e;
        }
    }

    private static RawHttp closeQuietly(RawHttp conn) {
        if (conn != null) {
            try {
                conn.close();
            } catch (IOException ignored) {
                // the connection failed already; its close cannot lose anything
            }
        }
        return null;
    }
}
