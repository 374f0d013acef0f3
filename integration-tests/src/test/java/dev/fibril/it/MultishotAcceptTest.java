/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringConfig;
import dev.fibril.syscall.uring.IoUringFeature;
import dev.fibril.syscall.uring.IoUringFeatures;
import dev.fibril.syscall.uring.IoUringProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A server channel on io_uring accepts through one multishot ACCEPT (IORING_ACCEPT_MULTISHOT):
 * every connection is accepted exactly once, through far fewer submissions than connections; a
 * full queue of accepted fds cancels it and leaves later connections in the listen backlog; a close
 * closes the queued fds; switched off, each accept is one single-shot ACCEPT again. No fd leaks
 * (the sockets on the server's port counted in /proc/self/fd).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MultishotAcceptTest {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    /** MultishotAccept.QUEUE_BOUND (package-private there). */
    private static final int QUEUE_BOUND = 64;

    private FibrilRuntime rt;
    private CountingBackend backend;
    private final List<Socket> clients = new ArrayList<>();
    /** The port {@link #acceptAThousand} listened on. */
    private int lastPort;

    @BeforeAll
    static void requireMultishotAccept() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
        assumeTrue(probe.refused(IoUringFeature.ACCEPT_MULTISHOT) == null,
                "no multishot accept: " + probe.refused(IoUringFeature.ACCEPT_MULTISHOT));
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : clients) {
            s.close();
        }
        if (rt != null) {
            rt.close();
        }
    }

    private void start(Map<String, String> properties) {
        IoUringFeatures features = IoUringFeatures.resolve(IoUringBackend.probe(), properties::get);
        backend = new CountingBackend(new IoUringBackend(IoUringConfig.DEFAULT, features));
        rt = Fibril.runtime().carriers(2).backend(backend).build();
    }

    @Test
    void shouldAcceptEachOfAThousandConcurrentConnectsExactlyOnceThroughFewAccepts() throws Exception {
        start(Map.of());
        assertTrue(rt.backendFeatures().isActive("accept_multishot"), rt.backendFeatures().toString());
        Map<Integer, Integer> seen = acceptAThousand();
        assertEquals(1000, seen.size(), "connections accepted");
        seen.forEach((id, times) -> assertEquals(1, times, "connection " + id + " accepted " + times + " times"));
        assertEquals(0, backend.singleShot.get(), "single-shot ACCEPTs");
        assertTrue(backend.multishot.get() >= 1 && backend.multishot.get() < 100,
                "multishot ACCEPTs for 1000 connections: " + backend.multishot.get());
        rt.close();
        rt = null;
        await().atMost(BOUND).until(() -> openFds(lastPort) == 0);
    }

    @Test
    void shouldAcceptEachConnectionOnceWithOneAcceptPerConnectionWhenSwitchedOff() throws Exception {
        start(Map.of(IoUringFeature.ACCEPT_MULTISHOT.propertyName(), "false"));
        assertFalse(rt.backendFeatures().isActive("accept_multishot"));
        assertTrue(rt.backendFeatures().disabled().get("accept_multishot").contains("-Dfibril.io_uring.accept_multishot=false"));
        Map<Integer, Integer> seen = acceptAThousand();
        assertEquals(1000, seen.size(), "connections accepted");
        assertEquals(0, backend.multishot.get(), "multishot ACCEPTs");
        assertEquals(1000, backend.singleShot.get(), "single-shot ACCEPTs");
    }

    @Test
    void shouldCancelAtAFullQueueLeaveTheRestInTheBacklogAndAcceptThemLater() throws Exception {
        start(Map.of());
        try (FibrilServerSocketChannel server = rt.openServerSocket().bind(LOOPBACK, 512)) {
            InetSocketAddress address = server.localAddress();
            long base = openFds(address.getPort());
            Thread acceptor = rt.start(() -> acceptInto(server, 1, true, new ConcurrentHashMap<>(), new AtomicReference<>()));
            connect(address, 1);
            assertTrue(acceptor.join(BOUND), "the first accept did not return");
            connect(address, QUEUE_BOUND); // queued by the ACCEPT, which the last one fills
            await().atMost(BOUND).until(() -> backend.multishotEnded.get() == 1); // cancelled: the queue is full
            assertEquals(1, backend.multishot.get(), "one ACCEPT so far");
            int late = 50;
            connect(address, late); // no ACCEPT is armed: these wait in the kernel's backlog
            int first = 1 + QUEUE_BOUND;
            // our clients, and the fds queued: all of the first wave but the one the acceptor closed
            assertEquals(base + first + late + QUEUE_BOUND, openFds(address.getPort()), "fds once the ACCEPT was cancelled");

            Map<Integer, Integer> seen = new ConcurrentHashMap<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread rest = rt.start(() -> acceptInto(server, QUEUE_BOUND + late, false, seen, failure));
            assertTrue(rest.join(BOUND), "the rest were not accepted");
            assertNull(failure.get(), () -> "accepting failed: " + failure.get());
            assertEquals(QUEUE_BOUND + late, seen.size(), "connections accepted after the pause, each once");
            seen.forEach((port, times) -> assertEquals(1, times, "connection from port " + port));
            assertTrue(backend.multishot.get() >= 2, "armed again once the queue was empty");
            await().atMost(BOUND).until(() -> openFds(address.getPort()) == base + first + late);
        }
    }

    @Test
    void shouldCloseTheQueuedFdsWhenTheServerCloses() throws Exception {
        start(Map.of());
        FibrilServerSocketChannel server = rt.openServerSocket().bind(LOOPBACK, 64);
        InetSocketAddress address = server.localAddress();
        long base = openFds(address.getPort());
        Thread acceptor = rt.start(() -> acceptInto(server, 1, true, new ConcurrentHashMap<>(), new AtomicReference<>()));
        int queued = 10;
        connect(address, 1 + queued);
        assertTrue(acceptor.join(BOUND), "the first accept did not return");
        // the clients, and the fds the ACCEPT queued for callers that never come
        await().atMost(BOUND).until(() -> openFds(address.getPort()) == base + 1 + queued + queued);

        server.close();
        await().atMost(BOUND).until(() -> openFds(address.getPort()) == base + 1 + queued - 1); // the listening fd and the queued ones
        for (Socket client : clients.subList(1, clients.size())) {
            assertEquals(-1, readOrReset(client), "a queued connection is closed with the server");
        }
        assertEquals(1, backend.multishotEnded.get(), "the ACCEPT ended once");
    }

    /** Accepts 1000 connections made by four platform threads, each client sending its number. */
    private Map<Integer, Integer> acceptAThousand() throws Exception {
        Map<Integer, Integer> seen = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (FibrilServerSocketChannel server = rt.openServerSocket().bind(LOOPBACK, 1024)) {
            InetSocketAddress address = server.localAddress();
            lastPort = address.getPort();
            AtomicInteger left = new AtomicInteger(1000);
            List<Thread> acceptors = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                acceptors.add(rt.start(() -> {
                    while (left.getAndDecrement() > 0) {
                        acceptInto(server, 1, true, seen, failure);
                    }
                }));
            }
            List<Thread> connectors = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int from = t * 250;
                connectors.add(Thread.ofPlatform().start(() -> {
                    for (int id = from; id < from + 250; id++) {
                        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
                            new DataOutputStream(s.getOutputStream()).writeInt(id);
                        } catch (IOException e) {
                            failure.compareAndSet(null, e);
                        }
                    }
                }));
            }
            for (Thread t : connectors) {
                assertTrue(t.join(BOUND), "connecting did not end");
            }
            for (Thread t : acceptors) {
                assertTrue(t.join(BOUND), "accepting did not end");
            }
        }
        assertNull(failure.get(), () -> "failed: " + failure.get());
        return seen;
    }

    /**
     * Accepts {@code n} connections and closes each; counts each in {@code seen} by the number it
     * sends ({@code readId}) or by its peer's port.
     */
    private static void acceptInto(FibrilServerSocketChannel server, int n, boolean readId, Map<Integer, Integer> seen,
                                   AtomicReference<Throwable> failure) {
        try {
            for (int i = 0; i < n; i++) {
                try (FibrilSocketChannel ch = server.accept()) {
                    int key = ch.remoteAddress().getPort();
                    if (readId) {
                        ByteBuffer id = ByteBuffer.allocate(4);
                        while (id.hasRemaining() && ch.read(id) >= 0) {
                            // until the number is in
                        }
                        key = id.hasRemaining() ? -key : id.getInt(0);
                    }
                    seen.merge(key, 1, Integer::sum);
                }
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    /** {@code n} clients that connect and send nothing yet, kept open until the test ends. */
    private void connect(InetSocketAddress address, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            Socket s = new Socket(address.getAddress(), address.getPort());
            clients.add(s);
            if (clients.size() == 1) {
                // the one the first acceptor reads; no FIN after it, so that the acceptor's close
                // leaves this end in CLOSE_WAIT, where /proc/net/tcp still lists its inode
                new DataOutputStream(s.getOutputStream()).writeInt(0);
            }
        }
    }

    private static int readOrReset(Socket client) {
        try {
            client.setSoTimeout((int) BOUND.toMillis());
            return new DataInputStream(client.getInputStream()).read();
        } catch (IOException reset) {
            return -1;
        }
    }

    /** The sockets with {@code port} at one end: the listener, the fds it accepted, the clients. */
    private static long openFds(int port) throws IOException {
        return KernelSockets.socketsOn(port);
    }

    /** Counts the ACCEPTs the runtime enqueues, single-shot and multishot, and the multishot ones' last completions. */
    private static final class CountingBackend extends ForwardingBackend {
        final AtomicInteger singleShot = new AtomicInteger();
        final AtomicInteger multishot = new AtomicInteger();
        final AtomicInteger multishotEnded = new AtomicInteger();

        CountingBackend(Backend inner) {
            super(inner);
        }

        @Override
        CompletionRing wrap(CompletionRing ring, int carrierIndex) {
            return new ForwardingRing(ring) {
                @Override
                public boolean enqueue(IoRequest r) {
                    boolean taken = ring.enqueue(r);
                    if (taken && r.opcode() == Op.ACCEPT) {
                        ((r.opFlags() & IoRequest.ACCEPT_MULTISHOT) != 0 ? multishot : singleShot).incrementAndGet();
                    }
                    return taken;
                }

                @Override
                public int reap(CompletionSink sink, int max) {
                    return ring.reap((r, result) -> {
                        if (r.opcode() == Op.ACCEPT && (r.opFlags() & IoRequest.ACCEPT_MULTISHOT) != 0 && !r.more()) {
                            multishotEnded.incrementAndGet();
                        }
                        sink.onCompletion(r, result);
                    }, max);
                }
            };
        }
    }
}
