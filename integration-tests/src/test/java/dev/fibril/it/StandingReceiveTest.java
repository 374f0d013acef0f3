/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.uring.IoUringBackend;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.fibril.it.Loopback.PATIENCE;
import static dev.fibril.it.Loopback.inFibril;
import static dev.fibril.it.Loopback.text;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code receiveLater} on io_uring with multishot receives: the RECV stands in the ring across arms
 * (one submission for many reads), what it receives while nobody is armed waits and comes in order,
 * a read or a plain receive after it gets those bytes first and retires it, and a close gives every
 * buffer back. The peer is a JDK socket, so the runtime's submissions are the receiving side's only.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StandingReceiveTest {
    private FibrilRuntime rt;
    private FibrilSocketChannel channel;
    /** Fewer than the floods below need: their receives also meet ENOBUFS, and wait for buffers. */
    private static final int BUFFERS = 16;
    private FibrilServerSocketChannel server;
    private Socket peer;
    private final List<Thread> writers = new ArrayList<>();

    @BeforeEach
    void connect() throws Exception {
        assumeTrue(IoUringBackend.probe().available(), () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        rt = Fibril.runtime().carriers(1).backend("io_uring").strict(true).receiveBuffers(BUFFERS, 4096).build();
        assumeTrue(rt.backendFeatures().active().contains("recv_multishot"), () -> "no multishot receive: " + rt.backendFeatures());
        inFibril(rt, () -> server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8));
        peer = new Socket("127.0.0.1", server.localAddress().getPort());
        channel = accept();
    }

    private FibrilSocketChannel accept() throws Exception {
        AtomicReference<FibrilSocketChannel> accepted = new AtomicReference<>();
        inFibril(rt, () -> accepted.set(server.accept()));
        return accepted.get();
    }

    @AfterEach
    void close() throws Exception {
        for (Thread w : writers) {
            w.join(PATIENCE.toMillis());
        }
        if (peer != null) {
            peer.close();
        }
        if (server != null) {
            server.close();
        }
        if (rt != null) {
            rt.close();
        }
    }

    /** A task that receives once, keeps the text, and arms again until {@code rounds} were received. */
    private Runnable receiver(ConcurrentLinkedQueue<String> got, int rounds) {
        Runnable[] self = new Runnable[1];
        self[0] = () -> {
            try {
                ByteBuffer b = channel.receive();
                got.add(b == null ? "end of stream" : text(b));
                if (b != null) {
                    channel.release(b);
                }
                if (got.size() < rounds) {
                    channel.receiveLater(self[0]);
                }
            } catch (Exception e) {
                got.add(e.toString());
            }
        };
        return self[0];
    }

    @Test
    void shouldSubmitOneReceiveForEveryArmOfAConnectionAndDeliverInOrder() throws Exception {
        int rounds = 50;
        ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        long before = rt.stats().submissions();
        inFibril(rt, () -> channel.receiveLater(receiver(got, rounds)));
        OutputStream out = peer.getOutputStream();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            String m = "message " + i;
            sent.add(m);
            out.write(m.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            int n = i + 1;
            await().atMost(PATIENCE).until(() -> got.size() >= n); // one at a time: each is a receive of its own
        }
        assertEquals(sent, List.copyOf(got));
        long submissions = rt.stats().submissions() - before;
        // single-shot, each arm submits a RECV of its own: 50 (and the inFibril's own start costs none)
        assertTrue(submissions <= 3, () -> "one standing RECV served every arm, yet " + submissions + " submissions: " + rt.stats());
        assertEquals(1, rt.stats().descriptorsInUse(), "the RECV stands for the next arm");
        channel.close();
        await().atMost(PATIENCE).until(() -> rt.stats().descriptorsInUse() == 0 && rt.stats().receiveBuffersLent() == 0);
    }

    /** Bytes 0..n-1 of a pattern no chunk boundary can hide: a lost, doubled or reordered chunk shows. */
    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    /** Arms once; its task takes the first bytes and does not arm again, so what follows waits for nobody. */
    private ByteArrayOutputStream armOnceAndFlood(byte[] all) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        AtomicReference<Object> first = new AtomicReference<>();
        inFibril(rt, () -> channel.receiveLater(() -> {
            try {
                ByteBuffer b = channel.receive();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                channel.release(b);
                first.set(bytes);
            } catch (Exception e) {
                first.set(e);
            }
        }));
        OutputStream out = peer.getOutputStream();
        out.write(all, 0, 1000);
        out.flush();
        await().atMost(PATIENCE).until(() -> first.get() != null);
        assertTrue(first.get() instanceof byte[], () -> "the task received: " + first.get());
        seen.write((byte[]) first.get());
        Thread writer = Thread.ofPlatform().start(() -> { // the socket may not take it all before someone reads
            try {
                out.write(all, 1000, all.length - 1000);
                out.flush();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writers.add(writer);
        return seen;
    }

    @Test
    void shouldGiveAReadTheBytesTheStandingReceiveGotFirstInOrderThenRetireIt() throws Exception {
        byte[] all = pattern(200_000);
        ByteArrayOutputStream seen = armOnceAndFlood(all);
        inFibril(rt, () -> {
            ByteBuffer small = ByteBuffer.allocateDirect(777); // smaller than a buffer: what does not fit waits for the next read
            while (seen.size() < all.length) {
                small.clear();
                int n = channel.read(small);
                assertTrue(n > 0, "bytes, not the end: " + n);
                seen.write(bytesOf(small.flip()));
            }
        });
        assertArrayEquals(all, seen.toByteArray(), "every byte once, in order");
        await().atMost(PATIENCE).until(() -> rt.stats().descriptorsInUse() == 0); // the read retired the standing RECV
        assertEquals(0, rt.stats().receiveBuffersLent(), "every buffer back");
    }

    @Test
    void shouldLendWhatAReadLeftAtPositionZeroAndRefuseAReadWhileABufferIsLent() throws Exception {
        byte[] all = pattern(50_000);
        ByteArrayOutputStream seen = armOnceAndFlood(all);
        // three results wait for nobody (the first task gave its buffer back): the receive stands until they are taken
        await().atMost(PATIENCE).until(() -> rt.stats().receiveBuffersLent() >= 3);
        inFibril(rt, () -> {
            ByteBuffer ten = ByteBuffer.allocate(10);
            assertEquals(10, channel.read(ten));
            seen.write(ten.array());
            ByteBuffer rest = channel.receive(); // the rest of the result the read took from
            assertEquals(0, rest.position(), "a lent buffer starts at 0");
            seen.write(bytesOf(rest.duplicate()));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> channel.read(ByteBuffer.allocate(8)),
                    "the next bytes come in a buffer of their own, and one is lent");
            channel.release(rest);
            ByteBuffer big = ByteBuffer.allocate(all.length);
            while (seen.size() < all.length) {
                big.clear();
                int n = channel.read(big);
                assertTrue(n > 0, "bytes, not the end: " + n);
                seen.write(big.array(), 0, n);
            }
        });
        assertArrayEquals(all, seen.toByteArray(), "every byte once, in order");
    }

    @Test
    void shouldArmASingleShotReceiveWhenFewBuffersAreFree() throws Exception {
        // 15 buffers' worth in the socket before the arm: the standing receive's first wake-up takes them all
        peer.getOutputStream().write(pattern((BUFFERS - 1) * 4096));
        peer.getOutputStream().flush();
        AtomicReference<Object> first = new AtomicReference<>();
        inFibril(rt, () -> channel.receiveLater(() -> first.set(receiveText(channel))));
        await().atMost(PATIENCE).until(() -> first.get() != null && rt.stats().receiveBuffersLent() >= BUFFERS - 2);
        try (Socket other = new Socket("127.0.0.1", server.localAddress().getPort())) {
            FibrilSocketChannel b = accept();
            AtomicReference<Object> got = new AtomicReference<>();
            inFibril(rt, () -> b.receiveLater(() -> got.set(receiveText(b))));
            other.getOutputStream().write("to the other".getBytes(StandardCharsets.US_ASCII));
            await().atMost(PATIENCE).until(() -> got.get() != null);
            assertEquals("to the other", got.get());
            // its receive was single-shot: nothing of it stands (the flooded one's was cancelled at its bound)
            await().atMost(PATIENCE).untilAsserted(() -> assertEquals(0, rt.stats().descriptorsInUse(), () -> rt.stats().toString()));
            b.close();
        }
        channel.close();
        await().atMost(PATIENCE).until(() -> rt.stats().receiveBuffersLent() == 0);
    }

    /** Receives once; the text, or what it threw. */
    private static Object receiveText(FibrilSocketChannel ch) {
        try {
            ByteBuffer b = ch.receive();
            String t = text(b);
            ch.release(b);
            return t;
        } catch (Exception e) {
            return e;
        }
    }

    private static byte[] bytesOf(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    @Test
    void shouldGiveAReceiveOffAFibrilTheWaitingResultsInOrder() throws Exception {
        byte[] all = pattern(100_000);
        ByteArrayOutputStream seen = armOnceAndFlood(all);
        while (seen.size() < all.length) { // the test's thread: the results are taken on the carrier, by a command
            ByteBuffer b = channel.receive();
            assertTrue(b != null, "bytes, not the end");
            seen.write(bytesOf(b));
            channel.release(b);
        }
        assertArrayEquals(all, seen.toByteArray(), "every byte once, in order");
        // released off the carrier: the buffers go back through its return queue, which its next loop drains
        await().atMost(PATIENCE).untilAsserted(() -> {
            inFibril(rt, () -> { });
            assertTrue(rt.stats().receiveBuffersLent() == 0 && rt.stats().descriptorsInUse() == 0, () -> "all back: " + rt.stats());
        });
    }

    @Test
    void shouldGiveBackEveryBufferTheStandingReceiveHeldWhenTheChannelCloses() throws Exception {
        armOnceAndFlood(pattern(100_000));
        await().atMost(PATIENCE).until(() -> rt.stats().receiveBuffersLent() >= 2); // results wait for nobody
        channel.close();
        await().atMost(PATIENCE).untilAsserted(() -> assertTrue(
                rt.stats().receiveBuffersLent() == 0 && rt.stats().descriptorsInUse() == 0, () -> "all back: " + rt.stats()));
    }

    /**
     * A peer that floods and then resets: the armed task learns it, ECONNRESET (or the end of the
     * stream) after a prefix of what was sent, in every round. With POLL_FIRST on the multishot RECV
     * about one round in ten hung here: the kernel posted nothing after the reset.
     */
    @Test
    void shouldEndTheArmedTaskWhenThePeerResetsAfterAFlood() throws Exception {
        byte[] all = pattern(150_000);
        for (int round = 0; round < 20; round++) {
            try (Socket p = new Socket("127.0.0.1", server.localAddress().getPort());
                 FibrilSocketChannel ch = accept()) {
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                AtomicReference<Object> end = new AtomicReference<>();
                Runnable[] task = new Runnable[1];
                task[0] = () -> {
                    try {
                        ByteBuffer b = ch.receive();
                        if (b == null) {
                            end.set("end of stream");
                            return;
                        }
                        synchronized (seen) {
                            seen.write(bytesOf(b));
                        }
                        ch.release(b);
                        ch.receiveLater(task[0]);
                    } catch (Exception e) {
                        end.set(e);
                    }
                };
                inFibril(rt, () -> ch.receiveLater(task[0]));
                p.getOutputStream().write(all);
                p.setSoLinger(true, 0);
                p.close(); // RST
                int r = round;
                await().alias("round " + r + ": the armed task learns of the reset").atMost(PATIENCE).until(() -> end.get() != null);
                Object e = end.get();
                assertTrue("end of stream".equals(e) || (e instanceof dev.fibril.aio.ErrnoException x && x.errno() == dev.fibril.aio.Errno.ECONNRESET),
                        () -> "round " + r + ": " + e);
                byte[] got;
                synchronized (seen) {
                    got = seen.toByteArray();
                }
                assertArrayEquals(java.util.Arrays.copyOf(all, got.length), got, "a prefix of what was sent, in order");
            }
        }
        await().atMost(PATIENCE).until(() -> rt.stats().receiveBuffersLent() == 0);
    }
}
