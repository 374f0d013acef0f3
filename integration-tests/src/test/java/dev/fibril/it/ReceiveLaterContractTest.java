/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.uring.IoUringBackend;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.fibril.it.Loopback.PATIENCE;
import static dev.fibril.it.Loopback.inFibril;
import static dev.fibril.it.Loopback.pair;
import static dev.fibril.it.Loopback.send;
import static dev.fibril.it.Loopback.text;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code receiveLater} on every backend: the armed receive holds neither a buffer nor a fibril, its
 * task runs once bytes, the end of the stream or a close came, and the task's {@code receive()}
 * returns that at once; when every buffer is lent the task's receive waits, and nothing is lost.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ReceiveLaterContractTest {
    private FibrilRuntime rt;

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    private void runtime(String backend, int buffers) {
        assumeTrue(!backend.equals("io_uring") || IoUringBackend.probe().available(),
                () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        rt = Fibril.runtime().carriers(1).backend(backend).strict(true).receiveBuffers(buffers, 4096).build();
    }

    /** Arms {@code ch} from a fibril that then ends; the task records what its receive got (text, null or the exception). */
    private void armFromAFibril(FibrilSocketChannel ch, AtomicReference<Object> outcome) throws Exception {
        inFibril(rt, () -> ch.receiveLater(() -> outcome.set(receiveOnce(ch))));
    }

    private static Object receiveOnce(FibrilSocketChannel ch) {
        try {
            ByteBuffer got = ch.receive();
            if (got == null) {
                return "end of stream";
            }
            String s = text(got);
            ch.release(got);
            return s;
        } catch (Exception e) {
            return e;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    void shouldHoldNoFibrilNorBufferWhileArmedAndReceiveAtOnceInTheTask(String backend) throws Exception {
        runtime(backend, 4);
        FibrilSocketChannel[] p = pair(rt);
        AtomicReference<Object> outcome = new AtomicReference<>();
        armFromAFibril(p[1], outcome);
        await().atMost(PATIENCE).until(() -> rt.stats().fibrilsAlive() == 0); // the arming fibril ended
        assertEquals(0, rt.stats().receiveBuffersLent(), "an armed receive holds no buffer");
        assertEquals(1, rt.stats().descriptorsInUse(), "the armed request is in the kernel");
        assertNull(outcome.get(), "no bytes yet, so no task yet");
        inFibril(rt, () -> assertThrows(IllegalStateException.class, () -> p[1].receiveLater(() -> { }),
                "one armed receive at a time"));
        send(p[0], "hello later");
        await().atMost(PATIENCE).until(() -> outcome.get() != null);
        assertEquals("hello later", outcome.get());
        // a multishot receive stands on for the next arm; a single-shot one ended with its result
        int standing = standsOn(backend) ? 1 : 0;
        await().atMost(PATIENCE).until(() -> rt.stats().descriptorsInUse() == standing && rt.stats().fibrilsAlive() == 0);
        assertEquals(0, rt.stats().receiveBuffersLent());

        AtomicReference<Object> end = new AtomicReference<>();
        armFromAFibril(p[1], end);
        p[0].shutdownOutput();
        await().atMost(PATIENCE).until(() -> end.get() != null);
        assertEquals("end of stream", end.get());
        p[0].close();
        p[1].close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    void shouldRunTheTaskWhenTheChannelClosesAndLeakNothing(String backend) throws Exception {
        runtime(backend, 4);
        FibrilSocketChannel[] p = pair(rt);
        AtomicReference<Object> outcome = new AtomicReference<>();
        armFromAFibril(p[1], outcome);
        assertThrows(IllegalStateException.class, p[1]::receive, "the armed receive's task receives");
        assertThrows(IllegalStateException.class, () -> p[1].read(ByteBuffer.allocate(8)), "a read would race the armed RECV");
        p[1].close(); // only the close can end the wait: no byte is sent
        await().atMost(PATIENCE).until(() -> outcome.get() != null);
        assertInstanceOf(ClosedChannelException.class, outcome.get());
        await().atMost(PATIENCE).until(() -> rt.stats().descriptorsInUse() == 0 && rt.stats().fibrilsAlive() == 0);
        assertEquals(0, rt.stats().receiveBuffersLent());
        assertThrows(ClosedChannelException.class, () -> p[1].receiveLater(() -> { }));
        p[0].close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    void shouldRunTheTaskWhenTheRuntimeClosesItsChannel(String backend) throws Exception {
        runtime(backend, 4);
        FibrilSocketChannel[] p = pair(rt);
        AtomicReference<Object> outcome = new AtomicReference<>();
        armFromAFibril(p[1], outcome);
        rt.close(); // closes the open channels, which cancels the armed receive
        await().atMost(PATIENCE).until(() -> outcome.get() != null);
        // the close of the peer, if it came first, ends the stream (on epoll and the simulated
        // kernel the armed readiness wait sees it); else the task's receive sees its own channel closed
        Object got = outcome.get();
        assertTrue(got instanceof ClosedChannelException || "end of stream".equals(got),
                () -> "the task ran and saw a close, got " + got);
        rt = null;
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    void shouldWaitForABufferInTheTaskWhenEveryBufferIsLentAndLoseNothing(String backend) throws Exception {
        runtime(backend, 2);
        int connections = 5;
        List<FibrilSocketChannel[]> pairs = new ArrayList<>();
        ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Runnable> releases = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < connections; i++) {
            FibrilSocketChannel[] p = pair(rt);
            pairs.add(p);
            // each task keeps its buffer until the test lets go: two tasks hold both buffers
            inFibril(rt, () -> p[1].receiveLater(() -> {
                try {
                    ByteBuffer b = p[1].receive();
                    String text = text(b);
                    releases.add(() -> p[1].release(b)); // before got: once all are got, all are here
                    got.add(text);
                } catch (Exception e) {
                    got.add(e.toString());
                }
            }));
        }
        for (int i = 0; i < connections; i++) {
            send(pairs.get(i)[0], "message " + i);
        }
        await().atMost(PATIENCE).untilAsserted(() -> assertTrue(got.size() == 2 && rt.stats().receiveBufferWaits() >= 1,
                () -> "two tasks hold both buffers and one more waits; got " + got + ", " + rt.stats()));
        while (got.size() < connections) { // each buffer given back lets one more task receive
            Runnable r = releases.poll();
            if (r != null) {
                inFibril(rt, r::run); // on the buffer's carrier: back at once
            } else {
                Thread.onSpinWait();
            }
        }
        for (Runnable r : releases) {
            inFibril(rt, r::run);
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            expected.add("message " + i);
        }
        assertEquals(expected.stream().sorted().toList(), got.stream().sorted().toList(), "every message once, none lost");
        for (FibrilSocketChannel[] p : pairs) {
            p[0].close();
            p[1].close();
        }
        await().atMost(PATIENCE).untilAsserted(() -> assertTrue(
                rt.stats().receiveBuffersLent() == 0 && rt.stats().descriptorsInUse() == 0, () -> "all back: " + rt.stats()));
    }

    /** Whether {@code backend}'s armed receive stays in the ring after its result (a multishot RECV). */
    private boolean standsOn(String backend) {
        return backend.equals("io_uring") && rt.backendFeatures().active().contains("recv_multishot");
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    void shouldStartTheTaskAtOnceOffAFibril(String backend) throws Exception {
        runtime(backend, 4);
        FibrilSocketChannel[] p = pair(rt);
        AtomicReference<Object> outcome = new AtomicReference<>();
        p[1].receiveLater(() -> outcome.set(receiveOnce(p[1]))); // the test thread: nothing to arm on
        await().atMost(PATIENCE).until(() -> rt.stats().fibrilsAlive() == 1); // the task, waiting in its receive
        send(p[0], "to a task");
        await().atMost(PATIENCE).until(() -> outcome.get() != null);
        assertEquals("to a task", outcome.get());
        assertThrows(NullPointerException.class, () -> p[1].receiveLater(null));
        p[0].close();
        p[1].close();
    }
}
