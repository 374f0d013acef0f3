/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.IoBatch;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The carrier's rare paths, reached deterministically through a {@link ScriptedBackend}: a kernel
 * that cannot cancel, an EINTR on a request with a read timeout, a kernel that takes no
 * submission, a ring that throws; and the lifecycle edges of close().
 */
class CarrierHardeningTest {
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    private FibrilRuntime runtime(ScriptedBackend backend, int carriers) {
        FibrilRuntime rt = Fibril.runtime().carriers(carriers).backend(backend).strict(true).build();
        toClose.add(rt);
        return rt;
    }

    /** A connected pair: [0] accepted by the runtime's server, [1] the runtime's client. */
    private static FibrilSocketChannel[] pair(FibrilRuntime rt) throws IOException {
        FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
        FibrilSocketChannel client = rt.openSocket();
        client.connect(server.localAddress());
        FibrilSocketChannel accepted = server.accept();
        server.close();
        return new FibrilSocketChannel[] {accepted, client};
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNotReleaseAForeignCallerPastTheCloseDeadlineWhileItsRequestIsInTheKernel() throws Exception {
        ScriptedBackend backend = new ScriptedBackend(Backends.open("epoll"));
        FibrilRuntime rt = Fibril.runtime().carriers(1).backend(backend).strict(true).build();
        FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
        java.net.Socket peer = new java.net.Socket();
        toClose.add(peer);
        peer.connect(server.localAddress());
        FibrilSocketChannel accepted = server.accept();
        ByteBuffer buf = ByteBuffer.allocateDirect(16);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                outcome.set(accepted.read(buf));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> rt.stats().descriptorsInUse() == 1
                && reader.getState() == Thread.State.WAITING);
        backend.cancelsIgnored.set(true); // the kernel can no longer take the read back (-EALREADY)

        Thread closer = Thread.ofPlatform().start(() -> rt.close(Duration.ofMillis(100)));
        await().atMost(Duration.ofSeconds(30)).until(() -> !closer.isAlive());
        // close() has returned, past its deadline; the read is still the kernel's, and so is the buffer
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> outcome.get() == null);

        peer.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
        await().atMost(Duration.ofSeconds(20)).until(() -> outcome.get() != null);
        assertEquals(5, outcome.get(), "the read ends with its own completion, not a made-up cancel");
        assertEquals("hello", StandardCharsets.US_ASCII.decode(buf.flip()).toString());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRetryAnInterruptedReadAsAPairWithItsTimeout() throws Exception {
        ScriptedBackend backend = new ScriptedBackend(Backends.open("epoll"));
        FibrilRuntime rt = runtime(backend, 1);
        FibrilSocketChannel[] p = pair(rt);
        backend.interruptOp = Op.RECV;
        backend.interruptNext.set(1); // the first RECV comes back with EINTR
        backend.enqueued.clear();
        AtomicReference<Object> outcome = new AtomicReference<>();
        rt.start(() -> {
            try {
                p[0].readTimeout(Duration.ofMillis(200));
                outcome.set(p[0].read(ByteBuffer.allocateDirect(16)));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> outcome.get() != null);
        assertInstanceOf(SocketTimeoutException.class, outcome.get(), "the timeout survives the retry");
        assertTrue(p[0].isOpen(), "a timed-out read leaves the channel open");
        int recvLinked = ScriptedBackend.entry(Op.RECV, true);
        int timeout = ScriptedBackend.entry(Op.LINK_TIMEOUT, false);
        List<Integer> seen = List.copyOf(backend.enqueued);
        assertEquals(List.of(recvLinked, timeout, recvLinked, timeout), seen.subList(0, 4),
                "the retried RECV goes again with a LINK_TIMEOUT right behind it: " + seen);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldMakeProgressWhenTheKernelTakesNoSubmissionFromAFullQueue() throws Exception {
        ScriptedBackend backend = new ScriptedBackend(Backends.open("simulated"));
        FibrilRuntime rt = runtime(backend, 1);
        backend.sqCapacity = 4;
        backend.refuseFullFlushes.set(40);
        int fibrils = 16;
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < fibrils; i++) {
            rt.start(() -> {
                try {
                    for (int n = 0; n < 50; n++) {
                        Fibril.nop();
                    }
                    done.incrementAndGet();
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> done.get() + (failure.get() == null ? 0 : 1) == fibrils);
        assertEquals(null, failure.get());
        assertEquals(0, backend.refuseFullFlushes.get(), "every refused flush was met and gone past");
        assertTrue(rt.stats().fullQueueStalls() >= 40, "stalls are counted: " + rt.stats().fullQueueStalls());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldKeepRunningAfterALoopIterationThrows() throws Exception {
        ScriptedBackend backend = new ScriptedBackend(Backends.open("simulated"));
        backend.failAwaits.set(1);
        FibrilRuntime rt = runtime(backend, 1);
        AtomicInteger sleeps = new AtomicInteger();
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.failAwaits.get() == 0);
        rt.start(() -> {
            try {
                for (int i = 0; i < 3; i++) {
                    Fibril.sleep(Duration.ofMillis(5));
                    sleeps.incrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> sleeps.get() == 3);
        assertEquals(1, rt.stats().loopFailures());
        assertEquals(0, rt.stats().failedCarriers());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNotLetARingFailureOnAFibrilsStackEscapeIntoItsCall() throws Exception {
        ScriptedBackend backend = new ScriptedBackend(Backends.open("simulated"));
        FibrilRuntime rt = runtime(backend, 1);
        AtomicReference<Object> outcome = new AtomicReference<>();
        rt.start(() -> {
            try {
                backend.failNextReaps.set(1); // the reap this fibril makes itself before parking throws
                Fibril.nop();
                outcome.set("completed");
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> outcome.get() != null);
        assertEquals("completed", outcome.get(), "the failure is the loop's to count, not this call's");
        await().atMost(Duration.ofSeconds(10)).until(() -> rt.stats().descriptorsInUse() == 0);
        assertEquals(1, rt.stats().loopFailures());
        assertEquals(0, rt.stats().failedCarriers());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldFailEveryWaitingCallerWithTheCauseWhenTheRingKeepsFailing() throws Exception {
        ScriptedBackend backend = new ScriptedBackend(Backends.open("epoll"));
        FibrilRuntime rt = runtime(backend, 1);
        FibrilSocketChannel[] p = pair(rt);
        AtomicReference<Object> fibrilOutcome = new AtomicReference<>();
        AtomicReference<Object> foreignOutcome = new AtomicReference<>();
        rt.start(() -> {
            try {
                fibrilOutcome.set(p[0].read(ByteBuffer.allocateDirect(16)));
            } catch (Throwable t) {
                fibrilOutcome.set(t);
            }
        });
        Thread foreign = Thread.ofPlatform().start(() -> {
            try {
                foreignOutcome.set(p[1].read(ByteBuffer.allocateDirect(16)));
            } catch (Throwable t) {
                foreignOutcome.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> rt.stats().descriptorsInUse() == 2
                && foreign.getState() == Thread.State.WAITING);
        backend.failReaps = true;
        rt.start(() -> { }); // wakes the carrier: its next iterations fail
        await().atMost(Duration.ofSeconds(20)).until(() -> fibrilOutcome.get() != null && foreignOutcome.get() != null);
        for (Object outcome : List.of(fibrilOutcome.get(), foreignOutcome.get())) {
            ClosedChannelException e = assertInstanceOf(ClosedChannelException.class, outcome);
            assertTrue(e.getMessage().contains("carrier 0 failed") && e.getMessage().contains("scripted reap failure"),
                    "the exception names the carrier and the cause: " + e.getMessage());
        }
        assertEquals(1, rt.stats().failedCarriers());
        assertEquals(3, rt.stats().loopFailures());
        // the fibrils of a failed carrier still run, and a new call fails at once with the cause
        AtomicReference<Object> later = new AtomicReference<>();
        rt.start(() -> {
            try {
                Fibril.nop();
                later.set("completed");
            } catch (Throwable t) {
                later.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> later.get() != null);
        assertInstanceOf(ClosedChannelException.class, later.get());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNotWaitAtCloseForAFibrilThatWasNeverStarted() {
        FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").strict(true).build();
        Thread unstarted = rt.threadFactory().newThread(() -> { });
        assertNotNull(unstarted);
        Thread closer = Thread.ofPlatform().start(() -> rt.close(Duration.ofHours(1)));
        await().atMost(Duration.ofSeconds(30)).until(() -> !closer.isAlive());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRefuseAChannelAcceptedAfterCloseHasClosedTheOpenOnes() throws Exception {
        ScriptedBackend backend = new ScriptedBackend(Backends.open("epoll"));
        FibrilRuntime rt = Fibril.runtime().carriers(1).backend(backend).strict(true).build();
        FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
        InetSocketAddress address = server.localAddress();
        AtomicReference<Object> late = new AtomicReference<>();
        Thread acceptor = rt.start(() -> {
            try {
                late.set(server.accept());
            } catch (Throwable t) {
                late.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> acceptor.getState() == Thread.State.WAITING
                && rt.stats().descriptorsInUse() == 1);
        backend.cancelsIgnored.set(true); // neither the interrupt nor the close can take the ACCEPT back
        Thread closer = Thread.ofPlatform().start(() -> rt.close(Duration.ofSeconds(2)));
        // close() has closed the channels it knew of once the server is closed; it is still
        // waiting for its carrier (the ACCEPT is in flight) for about three more seconds
        await().atMost(Duration.ofSeconds(30)).until(() -> !server.isOpen());
        java.net.Socket peer = new java.net.Socket();
        toClose.add(peer);
        peer.connect(address);
        await().atMost(Duration.ofSeconds(30)).until(() -> late.get() != null && !closer.isAlive());
        ClosedChannelException refused = assertInstanceOf(ClosedChannelException.class, late.get(),
                "a channel registered after close() took its snapshot would never be closed");
        assertTrue(refused.getMessage().contains("cannot open a channel"), refused.getMessage());
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.openDescriptors() == 0);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldKeepClosingABatchThroughAnInterruptUntilNothingIsOutstanding() throws Exception {
        FibrilRuntime rt = Fibril.runtime().carriers(1).backend("epoll").strict(true).build();
        toClose.add(rt);
        FibrilSocketChannel[] p = pair(rt);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        AtomicBoolean inClose = new AtomicBoolean();
        Thread f = rt.start(() -> {
            try {
                IoBatch batch = rt.newBatch();
                batch.recv(p[0], ByteBuffer.allocateDirect(16), 1);
                batch.submit();
                inClose.set(true);
                batch.close(); // the peer is silent: only a cancel ends the recv
                interruptedAfter.set(Thread.currentThread().isInterrupted());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> inClose.get() && f.getState() == Thread.State.WAITING);
        f.interrupt();
        await().atMost(Duration.ofSeconds(20)).until(() -> !f.isAlive());
        assertEquals(null, failure.get(), "close() keeps waiting instead of throwing with the recv outstanding");
        assertTrue(interruptedAfter.get(), "the interrupt status is restored");
        await().atMost(Duration.ofSeconds(10)).until(() -> rt.stats().descriptorsInUse() == 0);
        int before = rt.backend().openDescriptors();
        p[0].close();
        assertEquals(before - 1, rt.backend().openDescriptors(), "the socket's fd is closed: no call is left counted in");
    }
}
