/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * SEND_ZC on one ring: a heap-buffer SEND of at least the threshold goes as SEND_ZC from its
 * bounce buffer, completes once with its result, and gives the bounce buffer back on the
 * notification, exactly once, also when the peer stops reading and then resets the connection;
 * shorter sends, direct buffers, and a ring with the feature switched off send as before.
 */
class IoUringZeroCopySendTest extends IoUringTestBase {
    private static final int CHUNK = 64 * 1024;
    private static final Duration BOUND = Duration.ofSeconds(30);
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeSockets() {
        for (int fd : fds) {
            backend.close(fd);
        }
    }

    @Test
    void shouldReleaseEveryBounceBufferOnceWhenAPeerThatStoppedReadingResets() {
        assumeZeroCopy();
        int[] pair = connectedPair();
        assertEquals(0, backend.setOption(pair[0], Backend.SOL_SOCKET, Backend.SO_SNDBUF, CHUNK));
        long releasesBefore = ring.bounceBufferReleases();
        ByteBuffer heap = pattern(CHUNK);
        int sends = 0;
        while (true) { // the peer reads nothing: fill both socket buffers
            int n = driver.run(driver.withOpFlags(driver.request(Op.SEND, pair[0], heap, 0, CHUNK, 0), IoRequest.SEND_DONTWAIT));
            sends++;
            if (n == -Errno.EAGAIN) {
                break;
            }
            assertTrue(n > 0 && n <= CHUNK, "a send takes some bytes until the socket is full: " + n);
            assertTrue(sends < 10_000, "the socket never filled");
        }
        List<IoRequest> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // sends that wait for room that never comes
            IoRequest r = driver.request(Op.SEND, pair[0], heap, 0, CHUNK, 0);
            driver.enqueue(r);
            waiting.add(r);
        }
        ring.flush();
        closeSocket(pair[1]); // unread data: the peer's close resets the connection
        for (IoRequest r : waiting) {
            int res = driver.complete(r); // RingDriver fails on a second completion
            assertTrue(res >= 0 || res == -Errno.ECONNRESET || res == -Errno.EPIPE, "a send on a reset connection: " + res);
        }
        sends += waiting.size();
        awaitNotifications();
        assertEquals(0, ring.bounceBuffersInUse(), "bounce buffers still held");
        assertEquals(sends, ring.bounceBufferReleases() - releasesBefore, "each send's bounce buffer released once");
        assertEquals(sends, ring.zeroCopySends(), "sends of a full chunk from a heap buffer go as SEND_ZC");
        assertEquals(ring.zeroCopySends(), ring.zeroCopyNotifications(), "one notification per SEND_ZC");
    }

    @Test
    void shouldSendOnlyLongHeapSendsAsZeroCopyAndDeliverEveryByteInOrder() {
        assumeZeroCopy();
        int[] pair = connectedPair();
        ByteBuffer small = pattern(100);
        assertEquals(100, driver.run(driver.request(Op.SEND, pair[0], small, 0, 100, 0)));
        assertEquals(0, ring.zeroCopySends(), "below the threshold");
        receiveAndCheck(pair[1], small, 0, 100);
        ByteBuffer direct = ByteBuffer.allocateDirect(CHUNK).put(pattern(CHUNK)).clear();
        assertEquals(CHUNK, driver.run(driver.request(Op.SEND, pair[0], direct, 0, CHUNK, 0)));
        assertEquals(0, ring.zeroCopySends(), "a direct buffer is the caller's again when the send returns");
        receiveAndCheck(pair[1], direct, 0, CHUNK);
        ByteBuffer large = pattern(3 * CHUNK);
        int sent = 0;
        while (sent < large.capacity()) { // each send is clamped to one bounce buffer: the caller sends the rest
            int n = driver.run(driver.request(Op.SEND, pair[0], large, sent, large.capacity() - sent, 0));
            assertTrue(n > 0 && n <= CHUNK, "a bounced send sends at most one bounce buffer: " + n);
            sent += n;
            receiveAndCheck(pair[1], large, sent - n, n);
        }
        assertTrue(ring.zeroCopySends() >= 3, "the long heap sends went as SEND_ZC: " + ring.zeroCopySends());
        awaitNotifications();
    }

    @Test
    void shouldSendPlainWhenSwitchedOff() {
        FeatureSwitch.reopenWithout(this, IoUringFeature.SEND_ZC);
        assertTrue(backend.ioUringFeatures().reason(IoUringFeature.SEND_ZC) != null, "switched off");
        assertTrue(!backend.features(false).isActive("send_zc"), "reported off");
        int[] pair = connectedPair();
        ByteBuffer large = pattern(CHUNK);
        assertEquals(CHUNK, driver.run(driver.request(Op.SEND, pair[0], large, 0, CHUNK, 0)));
        assertEquals(0, ring.zeroCopySends());
        assertEquals(0, ring.bounceBuffersInUse(), "given back on the one completion");
        receiveAndCheck(pair[1], large, 0, CHUNK);
    }

    @Test
    void shouldTakeTheThresholdFromItsPropertyAndRejectOneThatIsNotAPositiveNumber() {
        IoUringProbe probe = IoUringBackend.probe();
        assertEquals(IoUringFeatures.DEFAULT_SEND_ZC_THRESHOLD, IoUringFeatures.resolve(probe, name -> null).sendZcThreshold());
        assertEquals(4096, IoUringFeatures.resolve(probe,
                Map.of(IoUringFeatures.SEND_ZC_THRESHOLD_PROPERTY, "4096")::get).sendZcThreshold());
        for (String bad : List.of("0", "-1", "64k", "")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> IoUringFeatures.resolve(probe, Map.of(IoUringFeatures.SEND_ZC_THRESHOLD_PROPERTY, bad)::get));
            assertTrue(e.getMessage().contains(IoUringFeatures.SEND_ZC_THRESHOLD_PROPERTY), e.getMessage());
        }
    }

    private void assumeZeroCopy() {
        assumeTrue(backend.ioUringFeatures().enabled(IoUringFeature.SEND_ZC), () -> "SEND_ZC off: "
                + backend.ioUringFeatures().reason(IoUringFeature.SEND_ZC));
    }

    /** Waits until every SEND_ZC's notification came back (they hold their slots until then). */
    private void awaitNotifications() {
        // on the thread that submitted: a request's task work runs only when its submitter enters the kernel
        await().atMost(BOUND).pollInSameThread().until(() -> {
            driver.pollOnce();
            return ring.inFlight() == 0;
        });
    }

    /** Reads {@code length} bytes off {@code fd} and compares them with {@code expected[from, from + length)}. */
    private void receiveAndCheck(int fd, ByteBuffer expected, int from, int length) {
        ByteBuffer in = ByteBuffer.allocate(length);
        while (in.position() < length) {
            int n = driver.run(driver.request(Op.RECV, fd, in, in.position(), length - in.position(), 0));
            assertTrue(n > 0, "recv: " + n);
            in.position(in.position() + n);
        }
        assertEquals(expected.slice(from, length), in.flip(), "bytes received at " + from);
    }

    private static ByteBuffer pattern(int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++) {
            b.put(i, (byte) (i * 31 + 7));
        }
        return b;
    }

    private void closeSocket(int fd) {
        fds.remove(Integer.valueOf(fd));
        assertEquals(0, backend.close(fd));
    }

    /** {client, accepted} on loopback; the listening socket is closed at once. */
    private int[] connectedPair() {
        int server = backend.socket();
        int client = backend.socket();
        assertTrue(server >= 0 && client >= 0, "sockets");
        fds.add(client);
        assertEquals(0, backend.listen(server, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4));
        IoRequest accept = driver.request(Op.ACCEPT, server, null, 0, 0, 0);
        IoRequest connect = driver.connect(client, backend.localAddress(server));
        driver.enqueue(accept, connect);
        assertEquals(0, driver.complete(connect));
        int accepted = driver.complete(accept);
        assertTrue(accepted >= 0, "accept: " + accepted);
        fds.add(accepted);
        assertEquals(0, backend.close(server));
        return new int[]{client, accepted};
    }
}
