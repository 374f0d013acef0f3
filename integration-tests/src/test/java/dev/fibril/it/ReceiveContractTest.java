/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static dev.fibril.it.Loopback.send;
import static dev.fibril.it.Loopback.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code receive()} lends a pooled buffer holding what arrived and {@code release()} takes it back,
 * on every backend; all buffers lent means waiting, never failing. Subclassed once per backend.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
abstract class ReceiveContractTest {
    private static final Duration PATIENCE = Loopback.PATIENCE;

    FibrilRuntime rt;

    abstract String backend();

    /** Whether the kernel picks the receive buffers here (io_uring's provided buffer rings). */
    boolean kernelPicks() {
        return false;
    }

    /** Whether a receive waiting for bytes holds no buffer here (the backend can wait for readability). */
    boolean waitsWithoutABuffer() {
        return true;
    }

    FibrilRuntime runtime(int buffers) {
        rt = Fibril.runtime().carriers(1).backend(backend()).strict(true).receiveBuffers(buffers, 4096).build();
        return rt;
    }

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    private FibrilSocketChannel[] pair() throws Exception {
        return Loopback.pair(rt);
    }

    private void inFibril(PinnedInitializer.Body body) throws Exception {
        Loopback.inFibril(rt, body);
    }

    @Test
    void shouldLendABufferHoldingWhatArrivedAndTakeItBack() throws Exception {
        runtime(4);
        FibrilSocketChannel[] p = pair();
        inFibril(() -> {
            send(p[0], "hello");
            ByteBuffer got = p[1].receive();
            assertEquals(0, got.position());
            assertEquals("hello", text(got));
            assertEquals(1, rt.stats().receiveBuffersLent());
            assertThrows(IllegalStateException.class, p[1]::receive, "one lent buffer at a time");
            p[1].release(got);
            assertThrows(IllegalArgumentException.class, () -> p[1].release(got), "released already");
            assertThrows(IllegalArgumentException.class, () -> p[1].release(ByteBuffer.allocateDirect(4096)));
            assertEquals(0, rt.stats().receiveBuffersLent());
            p[0].shutdownOutput();
            assertNull(p[1].receive(), "end of stream");
        });
        assertEquals(4, rt.stats().receiveBuffers());
        assertEquals(kernelPicks() ? 1 : 0, rt.stats().receiveBufferRings(), "the carrier's buffers are a provided buffer ring");
        assertEquals(0, rt.stats().receiveBuffersLent());
        p[0].close();
        p[1].close();
    }

    @Test
    void shouldHoldNoBufferWhileWaitingForBytes() throws Exception {
        runtime(4);
        FibrilSocketChannel[] p = pair();
        AtomicReference<String> got = new AtomicReference<>();
        Thread receiver = rt.start(() -> {
            try {
                ByteBuffer b = p[1].receive();
                got.set(text(b));
                p[1].release(b);
            } catch (Exception e) {
                got.set(e.toString());
            }
        });
        await().atMost(PATIENCE).until(() -> rt.stats().descriptorsInUse() >= 1); // parked in the kernel
        if (waitsWithoutABuffer()) {
            assertEquals(0, rt.stats().receiveBuffersLent(), "an idle receive holds no buffer");
        }
        send(p[0], "late bytes");
        assertTrue(receiver.join(PATIENCE));
        assertEquals("late bytes", got.get());
        assertEquals(0, rt.stats().receiveBuffersLent());
        p[0].close();
        p[1].close();
    }

    @Test
    void shouldWaitForABufferWhenEveryBufferIsLentAndLoseNothing() throws Exception {
        runtime(1);
        FibrilSocketChannel[] a = pair();
        FibrilSocketChannel[] b = pair();
        AtomicReference<ByteBuffer> held = new AtomicReference<>();
        inFibril(() -> {
            send(a[0], "first");
            held.set(a[1].receive()); // the only buffer
        });
        AtomicReference<String> second = new AtomicReference<>();
        Thread waiter = rt.start(() -> {
            try {
                ByteBuffer got = b[1].receive();
                second.set(text(got));
                b[1].release(got);
            } catch (Exception e) {
                second.set(e.toString());
            }
        });
        send(b[0], "second");
        await().atMost(PATIENCE).until(() -> rt.stats().receiveBufferWaits() >= 1);
        assertNull(second.get(), "no buffer, so no receive yet, and no failure");
        assertEquals("first", text(held.get()));
        a[1].release(held.get()); // from the test thread: through the carrier's return queue
        assertTrue(waiter.join(PATIENCE), "the waiting receive went on once the buffer came back");
        assertEquals("second", second.get());
        await().atMost(PATIENCE).until(() -> rt.stats().receiveBuffersLent() == 0);
        for (FibrilSocketChannel c : new FibrilSocketChannel[]{a[0], a[1], b[0], b[1]}) {
            c.close();
        }
    }

    /** Two connections on one buffer: a holds it, b's receive waits for it; returns {a, b, held}. */
    private Object[] oneBufferHeld() throws Exception {
        runtime(1);
        FibrilSocketChannel[] a = pair();
        FibrilSocketChannel[] b = pair();
        AtomicReference<ByteBuffer> held = new AtomicReference<>();
        inFibril(() -> {
            send(a[0], "first");
            held.set(a[1].receive()); // the only buffer
        });
        send(b[0], "second");
        return new Object[]{a, b, held.get()};
    }

    /** Starts a receive on {@code ch} that records what it got or threw, and waits until it waits for a buffer. */
    private Thread receiveWaitingForABuffer(FibrilSocketChannel ch, AtomicReference<Object> outcome) {
        long waitsBefore = rt.stats().receiveBufferWaits();
        Thread t = rt.start(() -> {
            try {
                ByteBuffer got = ch.receive();
                outcome.set(text(got));
                ch.release(got);
            } catch (Exception e) {
                outcome.set(e);
            }
        });
        await().atMost(PATIENCE).until(() -> rt.stats().receiveBufferWaits() > waitsBefore);
        return t;
    }

    @Test
    void shouldEndAWaitForABufferWhenTheChannelCloses() throws Exception {
        Object[] s = oneBufferHeld();
        FibrilSocketChannel[] a = (FibrilSocketChannel[]) s[0];
        FibrilSocketChannel[] b = (FibrilSocketChannel[]) s[1];
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread waiter = receiveWaitingForABuffer(b[1], outcome);
        b[1].close(); // no buffer comes back: only the close can end the wait
        assertTrue(waiter.join(PATIENCE), "the close woke the receive waiting for a buffer");
        assertInstanceOf(java.nio.channels.AsynchronousCloseException.class, outcome.get());
        inFibril(() -> a[1].release((ByteBuffer) s[2])); // on its carrier: back at once
        await().atMost(PATIENCE).until(() -> rt.stats().receiveBuffersLent() == 0);
        for (FibrilSocketChannel c : new FibrilSocketChannel[]{a[0], a[1], b[0]}) {
            c.close();
        }
    }

    @Test
    void shouldEndAWaitForABufferAtTheReadTimeoutAndReceiveLater() throws Exception {
        Object[] s = oneBufferHeld();
        FibrilSocketChannel[] a = (FibrilSocketChannel[]) s[0];
        FibrilSocketChannel[] b = (FibrilSocketChannel[]) s[1];
        b[1].readTimeout(Duration.ofMillis(50));
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread waiter = receiveWaitingForABuffer(b[1], outcome);
        assertTrue(waiter.join(PATIENCE), "the read timeout ended the wait for a buffer");
        assertInstanceOf(java.net.SocketTimeoutException.class, outcome.get());
        assertTrue(b[1].isOpen(), "a timed-out receive leaves the channel open");
        a[1].release((ByteBuffer) s[2]);
        b[1].readTimeout(Duration.ZERO);
        AtomicReference<String> later = new AtomicReference<>();
        inFibril(() -> {
            ByteBuffer got = b[1].receive();
            later.set(text(got));
            b[1].release(got);
        });
        assertEquals("second", later.get(), "the bytes waited in the socket");
        await().atMost(PATIENCE).until(() -> rt.stats().receiveBuffersLent() == 0);
        for (FibrilSocketChannel c : new FibrilSocketChannel[]{a[0], a[1], b[0], b[1]}) {
            c.close();
        }
    }

    @Test
    void shouldReceiveOffAFibrilIntoABufferOfTheChannel() throws Exception {
        runtime(4);
        FibrilSocketChannel[] p = pair();
        send(p[0], "from a platform thread");
        ByteBuffer got = p[1].receive();
        assertEquals("from a platform thread", text(got));
        p[1].release(got);
        assertEquals(0, rt.stats().receiveBuffersLent());
        p[0].close();
        p[1].close();
    }
}
