/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringConfig;
import dev.fibril.syscall.uring.IoUringFeature;
import dev.fibril.syscall.uring.IoUringFeatures;
import dev.fibril.syscall.uring.IoUringProbe;
import dev.fibril.syscall.uring.IoUringRing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.net.StandardSocketOptions.SO_RCVBUF;
import static java.net.StandardSocketOptions.SO_SNDBUF;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Channel writes on io_uring with SEND_ZC: heap-buffer writes go as SEND_ZC from bounce buffers in
 * pieces of one bounce buffer each (short sends: the write sends the rest), every byte arrives in
 * order, direct buffers send as before; a peer that stops reading and then resets ends the write
 * with an error and leaves every bounce buffer released once, one notification per zero-copy send,
 * and no completion lost or repeated. Switched off, nothing goes as SEND_ZC.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ZeroCopySendTest {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private FibrilRuntime rt;
    private final List<IoUringRing> rings = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void requireZeroCopy() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
        assumeTrue(probe.refused(IoUringFeature.SEND_ZC) == null, "no SEND_ZC: " + probe.refused(IoUringFeature.SEND_ZC));
    }

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    private void start(Map<String, String> properties) {
        IoUringFeatures features = IoUringFeatures.resolve(IoUringBackend.probe(), properties::get);
        rt = Fibril.runtime().carriers(1).backend(new ForwardingBackend(new IoUringBackend(IoUringConfig.DEFAULT, features)) {
            @Override
            CompletionRing wrap(CompletionRing ring, int carrierIndex) {
                rings.add((IoUringRing) ring);
                return ring;
            }
        }).build();
    }

    @Test
    void shouldWriteEveryByteInOrderFromHeapBuffersAsZeroCopyAndFromDirectOnesAsBefore() throws Exception {
        start(Map.of());
        assertTrue(rt.backendFeatures().isActive("send_zc"), rt.backendFeatures().toString());
        ByteBuffer heap = pattern(ByteBuffer.allocate(4 << 20), 0);
        ByteBuffer direct = pattern(ByteBuffer.allocateDirect(1 << 20), heap.capacity());
        long received = transfer(heap, direct);
        assertEquals(heap.capacity() + direct.capacity(), received);
        IoUringRing ring = rings.getFirst();
        // 4 MiB through 64 KiB bounce buffers: 64 SEND_ZCs at least; the direct MiB none
        assertTrue(ring.zeroCopySends() >= 64, "zero-copy sends: " + ring.zeroCopySends());
        awaitEveryBufferBack(ring);
    }

    @Test
    void shouldReleaseEveryBufferOnceWhenThePeerStopsReadingThenResets() throws Exception {
        start(Map.of());
        try (FibrilServerSocketChannel server = rt.openServerSocket().bind(LOOPBACK, 4);
             FibrilSocketChannel client = rt.openSocket()) {
            client.setOption(SO_SNDBUF, 64 * 1024);
            client.connect(server.localAddress());
            FibrilSocketChannel peer = server.accept();
            peer.setOption(SO_RCVBUF, 64 * 1024);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread writer = rt.start(() -> {
                try {
                    client.write(pattern(ByteBuffer.allocate(64 << 20), 0)); // far more than the socket buffers hold
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            IoUringRing ring = rings.getFirst();
            await().atMost(BOUND).until(() -> writer.getState() == Thread.State.WAITING && ring.zeroCopySends() > 0);
            peer.close(); // the peer read nothing: its close resets the connection
            assertTrue(writer.join(BOUND), "the write did not end after the reset");
            assertInstanceOf(IOException.class, thrown.get(), "what the write threw");
            awaitEveryBufferBack(ring);
            // every send of the write is a full bounce buffer, so each goes as SEND_ZC; nothing else bounces here
            assertEquals(ring.zeroCopySends(), ring.bounceBufferReleases(), "each zero-copy send's bounce buffer released once");
        }
        assertEquals(0, rt.stats().staleCompletions(), "completions for requests not in flight");
    }

    @Test
    void shouldSendEveryByteWithoutZeroCopyWhenSwitchedOff() throws Exception {
        start(Map.of(IoUringFeature.SEND_ZC.propertyName(), "false"));
        assertTrue(rt.backendFeatures().disabled().get("send_zc").contains("-Dfibril.io_uring.send_zc=false"));
        ByteBuffer heap = pattern(ByteBuffer.allocate(1 << 20), 0);
        ByteBuffer direct = pattern(ByteBuffer.allocateDirect(1 << 20), heap.capacity());
        assertEquals(heap.capacity() + direct.capacity(), transfer(heap, direct));
        assertEquals(0, rings.getFirst().zeroCopySends(), "zero-copy sends with the feature off");
        assertEquals(0, rings.getFirst().bounceBuffersInUse());
    }

    /** Writes {@code heap} then {@code direct} from one fibril while another reads and checks every byte. */
    private long transfer(ByteBuffer heap, ByteBuffer direct) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] received = {0};
        try (FibrilServerSocketChannel server = rt.openServerSocket().bind(LOOPBACK, 4);
             FibrilSocketChannel client = rt.openSocket()) {
            client.connect(server.localAddress());
            FibrilSocketChannel peer = server.accept();
            Thread reader = rt.start(() -> {
                try (peer) {
                    ByteBuffer in = ByteBuffer.allocate(100_000);
                    int n;
                    while ((n = peer.read(in.clear())) > 0) {
                        for (int i = 0; i < n; i++) {
                            if (in.get(i) != expected(received[0] + i)) {
                                throw new AssertionError("byte " + (received[0] + i) + " is " + in.get(i));
                            }
                        }
                        received[0] += n;
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            Thread writer = rt.start(() -> {
                try {
                    client.write(heap);
                    client.write(direct);
                    client.shutdownOutput();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            assertTrue(writer.join(BOUND), "the writes did not end");
            assertTrue(reader.join(BOUND), "the reader did not end");
        }
        assertNull(failure.get(), () -> "failed: " + failure.get());
        assertEquals(0, heap.remaining(), "the heap write wrote all");
        assertEquals(0, direct.remaining(), "the direct write wrote all");
        return received[0];
    }

    /** Every SEND_ZC notified and every bounce buffer back: the ring holds nothing for them any more. */
    private static void awaitEveryBufferBack(IoUringRing ring) {
        await().atMost(BOUND).until(() -> ring.bounceBuffersInUse() == 0
                && ring.zeroCopyNotifications() == ring.zeroCopySends());
    }

    private static ByteBuffer pattern(ByteBuffer b, long from) {
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, expected(from + i));
        }
        return b;
    }

    private static byte expected(long index) {
        return (byte) (index * 31 + index / 251);
    }
}
