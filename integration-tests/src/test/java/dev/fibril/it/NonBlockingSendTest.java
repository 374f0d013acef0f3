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
import dev.fibril.syscall.uring.IoUringProbe;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static java.net.StandardSocketOptions.SO_RCVBUF;
import static java.net.StandardSocketOptions.SO_SNDBUF;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The runtime's non-blocking send ({@link FibrilSocketChannel#tryWrite}), which the Jetty end point's
 * flush is built on, on every backend, from a fibril and from a platform thread: it takes what
 * fits and answers 0 once the socket is full, never waiting for the peer (a send that waited, or
 * an EAGAIN the carrier resubmitted, would hang here), and loses or repeats no byte.
 * {@link FibrilSocketChannel#awaitWritable} then returns once the peer has read.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NonBlockingSendTest {
    private static final int CHUNK = 64 * 1024;
    /** Far more than any socket buffers here: a send that never reports "full" fails the test. */
    private static final long MOST_BEFORE_FULL = 256L << 20;

    private FibrilRuntime rt;

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"simulated", "epoll", "io_uring"})
    void shouldTakeWhatFitsThenReportAFullSocketWithZeroOnAFibril(String backend) throws Exception {
        start(backend);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = rt.start(() -> {
            try {
                fillThenDrain(backend);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(50)), "the fibril did not finish");
        if (failure.get() != null) {
            throw new AssertionError("fibril failed", failure.get());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"simulated", "epoll", "io_uring"})
    void shouldTakeWhatFitsThenReportAFullSocketWithZeroOnAPlatformThread(String backend) throws Exception {
        start(backend);
        fillThenDrain(backend);
    }

    private void start(String backend) {
        if (backend.equals("io_uring")) {
            IoUringProbe probe = IoUringBackend.probe();
            assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
        }
        rt = Fibril.runtime().carriers(1).backend(backend).build();
    }

    /**
     * Sends with tryWrite until it answers 0 (the peer reads nothing meanwhile), then the peer
     * reads every byte and checks each one; on backends that can, waits for writability after the
     * peer made room and sends again.
     */
    private void fillThenDrain(String backend) throws Exception {
        try (FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
             FibrilSocketChannel client = rt.openSocket()) {
            client.setOption(SO_SNDBUF, 64 * 1024);
            client.connect(server.localAddress());
            try (FibrilSocketChannel peer = server.accept()) {
                peer.setOption(SO_RCVBUF, 64 * 1024);
                FibrilSocketChannel sender = client;
                ByteBuffer src = ByteBuffer.allocateDirect(CHUNK);
                long sent = 0;
                while (true) {
                    fill(src, sent);
                    int n = sender.tryWrite(src);
                    assertTrue(n >= 0 && n <= CHUNK, "a count of the bytes taken: " + n);
                    if (n == 0) {
                        break;
                    }
                    sent += n;
                    assertTrue(sent < MOST_BEFORE_FULL, "tryWrite never reported a full socket after " + sent + " bytes");
                }
                assertTrue(sent > 0, "an empty socket takes some bytes");
                assertEquals(0, src.position(), "a send that took nothing moves no position");
                long received = readAndCheck(peer, 0, sent);
                assertEquals(sent, received);
                if (sender.canAwaitWritable()) {
                    sender.awaitWritable(); // the peer read everything: there is room
                    fill(src, sent);
                    int n = sender.tryWrite(src);
                    assertTrue(n > 0, "room after awaitWritable, took " + n);
                    assertEquals(sent + n, sent + readAndCheck(peer, sent, n));
                } else {
                    assertEquals("simulated", backend);
                    assertThrows(UnsupportedOperationException.class, sender::awaitWritable);
                }
            }
        }
    }

    /** Fills {@code src} with the stream's bytes from offset {@code at}. */
    private static void fill(ByteBuffer src, long at) {
        src.clear();
        for (int i = 0; i < src.capacity(); i++) {
            src.put(i, byteAt(at + i));
        }
    }

    private static byte byteAt(long offset) {
        return (byte) (offset * 31 + (offset >>> 11));
    }

    /** Reads exactly {@code count} bytes from stream offset {@code from}, each checked; returns how many. */
    private static long readAndCheck(FibrilSocketChannel peer, long from, long count) throws Exception {
        ByteBuffer dst = ByteBuffer.allocateDirect(CHUNK);
        long got = 0;
        while (got < count) {
            dst.clear().limit((int) Math.min(CHUNK, count - got));
            int n = peer.read(dst);
            if (n < 0) {
                throw new AssertionError("end of stream after " + got + " of " + count + " bytes");
            }
            for (int i = 0; i < n; i++) {
                long at = from + got + i;
                if (dst.get(i) != byteAt(at)) {
                    throw new AssertionError("byte " + at + " differs: a lost or repeated send");
                }
            }
            got += n;
        }
        return got;
    }
}
