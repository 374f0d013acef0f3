/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.uring.IoUringBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.fibril.it.Loopback.inFibril;
import static dev.fibril.it.Loopback.pair;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code sendLater} on every backend: what it takes goes out once, in order with the channel's
 * other writes, its FIN after it; it takes nothing where it cannot (off a fibril, over its limit,
 * with a send in flight); a failed send is thrown by the next call; and a close neither drops what
 * it took nor keeps the fd for long from a peer that takes nothing.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SendLaterContractTest {
    private FibrilRuntime rt;

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    private void runtime(String backend) {
        assumeTrue(!backend.equals("io_uring") || IoUringBackend.probe().available(),
                () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        rt = Fibril.runtime().carriers(1).backend(backend).strict(true).build();
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** Small socket buffers on both ends, so that a peer that reads nothing stops the writer soon. */
    private static void smallBuffers(FibrilSocketChannel[] p) throws IOException {
        p[0].setOption(StandardSocketOptions.SO_SNDBUF, 4096);
        p[1].setOption(StandardSocketOptions.SO_RCVBUF, 4096);
    }

    /** Writes to {@code ch} until its socket takes nothing more (its peer reads nothing). */
    private static void fill(FibrilSocketChannel ch) throws IOException {
        while (ch.tryWrite(ByteBuffer.allocate(4096)) > 0) {
            // the socket's buffers fill up
        }
    }

    /** Reads from {@code ch} until the end of the stream. */
    private static byte[] readAll(FibrilSocketChannel ch) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        ByteBuffer in = ByteBuffer.allocate(8192);
        while (ch.read(in.clear()) >= 0) {
            all.write(in.array(), 0, in.position());
        }
        return all.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    void shouldSendInOrderWithTheOtherWritesAndTheFinLast(String backend) throws Exception {
        runtime(backend);
        FibrilSocketChannel[] p = pair(rt);
        AtomicReference<byte[]> got = new AtomicReference<>();
        Thread reader = rt.start(() -> {
            try {
                got.set(readAll(p[1]));
            } catch (IOException e) {
                got.set(("failed: " + e).getBytes());
            }
        });
        inFibril(rt, () -> {
            ByteBuffer first = ascii("first;");
            assertEquals(6, p[0].sendLater(first));
            assertEquals(0, first.remaining(), "the buffer's bytes were taken");
            p[0].write(ascii("second;"));
            ByteBuffer a = ascii("third");
            ByteBuffer b = ascii("+fourth;");
            assertEquals(13, p[0].sendLater(a, ByteBuffer.allocate(0), b), "gathered");
            int taken = p[0].sendLater(ascii("fifth;"));
            if (taken == 0) { // the one before is still in flight: a write goes after it
                p[0].write(ascii("fifth;"));
            }
            p[0].shutdownOutput(); // returns at once; the FIN follows what sendLater took
        });
        assertTrue(reader.join(Loopback.PATIENCE), "the reader saw the end of the stream");
        assertEquals("first;second;third+fourth;fifth;", new String(got.get(), java.nio.charset.StandardCharsets.US_ASCII));
        p[0].close();
        p[1].close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    void shouldTakeNothingOffAFibrilOverItsLimitOrWhenEmpty(String backend) throws Exception {
        runtime(backend);
        FibrilSocketChannel[] p = pair(rt);
        ByteBuffer small = ascii("x");
        assertEquals(0, p[0].sendLater(small), "off a fibril");
        assertEquals(1, small.remaining(), "nothing taken off a fibril");
        inFibril(rt, () -> {
            ByteBuffer big = ByteBuffer.allocate(p[0].sendLaterLimit() + 1);
            assertEquals(0, p[0].sendLater(big), "over the limit");
            assertEquals(big.capacity(), big.remaining());
            assertEquals(0, p[0].sendLater(ByteBuffer.allocate(0)), "nothing to send");
        });
        assertThrows(NullPointerException.class, () -> p[0].sendLater((ByteBuffer) null));
        p[0].close();
        assertThrows(ClosedChannelException.class, () -> p[0].sendLater(ascii("late")));
        p[1].close();
    }

    /**
     * The peer reads nothing until the socket is full, a sendLater takes 16 KiB more, and the
     * channel is shut and closed at once: the peer, reading later, gets every byte, then the end.
     */
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void shouldDeliverWhatItTookToAPeerThatReadsLateThoughTheChannelWasClosed(String backend) throws Exception {
        runtime(backend);
        FibrilSocketChannel[] p = pair(rt);
        int descriptorsBefore = rt.backend().openDescriptors();
        smallBuffers(p);
        java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
        inFibril(rt, () -> {
            byte[] chunk = pattern(4096, 1);
            while (true) { // fill the socket: the peer reads nothing yet
                ByteBuffer b = ByteBuffer.wrap(chunk);
                int n = p[0].tryWrite(b);
                if (n == 0) {
                    break;
                }
                sent.write(chunk, 0, n);
            }
            byte[] later = pattern(p[0].sendLaterLimit(), 7);
            assertEquals(later.length, p[0].sendLater(ByteBuffer.wrap(later)));
            sent.write(later);
            assertEquals(0, p[0].tryWrite(ascii("never")), "tryWrite takes nothing while the send is in flight");
            p[0].shutdownOutput();
            p[0].close();
        });
        AtomicReference<byte[]> got = new AtomicReference<>();
        inFibril(rt, () -> got.set(readAll(p[1])));
        assertArrayEquals(sent.toByteArray(), got.get(), "every byte taken, in order, then the end of the stream");
        p[1].close();
        await().atMost(Duration.ofSeconds(20)).until(() -> rt.backend().openDescriptors() <= descriptorsBefore - 2);
    }

    /** A peer that never reads: the closed channel's send is cancelled after the linger, and its fd closed. */
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void shouldCloseTheFdOfAClosedChannelWhoseSendThePeerNeverTakes(String backend) throws Exception {
        runtime(backend);
        FibrilSocketChannel[] p = pair(rt);
        int descriptorsBefore = rt.backend().openDescriptors();
        smallBuffers(p);
        inFibril(rt, () -> {
            fill(p[0]);
            assertEquals(1024, p[0].sendLater(ByteBuffer.allocate(1024)));
            p[0].close();
        });
        assertEquals(descriptorsBefore, rt.backend().openDescriptors(), "the send in flight keeps the fd open for now");
        await().atMost(Duration.ofSeconds(30)).until(() -> rt.backend().openDescriptors() == descriptorsBefore - 1);
        assertEquals(0, rt.stats().descriptorsInUse(), () -> "the cancelled send's descriptor is back: " + rt.stats());
        p[1].close();
    }

    /** The runtime's close with a send in flight that a peer never takes: it ends the send, and every fd is closed. */
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void shouldCloseTheRuntimeWithASendInFlightThatThePeerNeverTakes(String backend) throws Exception {
        runtime(backend);
        FibrilSocketChannel[] p = pair(rt);
        smallBuffers(p);
        inFibril(rt, () -> {
            fill(p[0]);
            assertEquals(1024, p[0].sendLater(ByteBuffer.allocate(1024)));
        });
        FibrilRuntime closing = rt;
        rt = null;
        closing.close();
        assertEquals(0, closing.stats().descriptorsInUse(), () -> "the send's descriptor came back: " + closing.stats());
        assertEquals(0, closing.backend().openDescriptors(), "the runtime's close ended the send and closed every fd");
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void shouldThrowAFailedSendFromTheNextCall(String backend) throws Exception {
        runtime(backend);
        FibrilSocketChannel[] p = pair(rt);
        inFibril(rt, () -> Loopback.send(p[0], "unread"));
        p[1].close(); // with unread bytes: the peer resets the connection
        AtomicReference<IOException> thrown = new AtomicReference<>();
        inFibril(rt, () -> {
            for (int i = 0; i < 1_000 && thrown.get() == null; i++) {
                try {
                    if (p[0].sendLater(ascii("after the reset")) == 0) {
                        p[0].write(ascii("after the reset")); // waits for the one in flight, and throws for it
                    }
                } catch (IOException e) {
                    thrown.set(e);
                }
            }
        });
        IOException e = thrown.get();
        assertTrue(e instanceof ErrnoException, () -> "a send on a reset connection fails with its errno: " + e);
        int errno = ((ErrnoException) e).errno();
        assertTrue(errno == Errno.EPIPE || errno == Errno.ECONNRESET, () -> "EPIPE or ECONNRESET, was " + e);
        p[0].close();
    }
}
