/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rings driven by their own threads while other threads send, close and wake them. */
class CrossThreadTest {

    /** One request at a time on a ring owned by the calling thread; retries EINTR and EAGAIN like the runtime. */
    private static final class Caller implements CompletionSink {
        private final SimulatedRing ring;
        private final IoRequest request = new IoRequest();
        private boolean done;
        private int result;

        Caller(SimulatedRing ring) {
            this.ring = ring;
        }

        @Override
        public void onCompletion(IoRequest completed, int res) {
            assertSame(request, completed, "completion for another request");
            done = true;
            result = res;
        }

        int call(byte op, int fd, ByteBuffer buffer, int position, int length, int opFlags) {
            for (;;) {
                request.prepare(op, fd, buffer, position, length, 0);
                request.opFlags(opFlags);
                done = false;
                assertTrue(ring.enqueue(request));
                ring.flush();
                while (!done) {
                    if (ring.reap(this, 1) == 0) {
                        ring.await(-1);
                    }
                }
                if (result != -Errno.EINTR && result != -Errno.EAGAIN) {
                    return result;
                }
            }
        }
    }

    private static Thread start(String name, AtomicReference<Throwable> failure, Runnable body) {
        Thread thread = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static boolean parked(Thread thread) {
        Thread.State state = thread.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }

    private static int[] connectedPair(SimulatedKernel kernel) {
        RingDriver setup = new RingDriver(kernel.openRing(99));
        int[] pair = setup.connectedPair(kernel);
        setup.ring().close();
        return pair;
    }

    private static byte[] transfer(SimulatedKernel kernel, byte[] data) throws Exception {
        int[] pair = connectedPair(kernel);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long[] receivedBytes = new long[1];

        Thread sender = start("sender", failure, () -> {
            try (SimulatedRing ring = kernel.openRing(0)) {
                Caller caller = new Caller(ring);
                ByteBuffer src = ByteBuffer.wrap(data);
                for (int sent = 0; sent < data.length; ) {
                    int n = caller.call(Op.SEND, pair[0], src, sent, Math.min(100_000, data.length - sent), 0);
                    assertTrue(n > 0, "send returned " + n);
                    sent += n;
                }
                assertEquals(0, caller.call(Op.SHUTDOWN, pair[0], null, 0, 0, 1));
            }
        });
        Thread receiver = start("receiver", failure, () -> {
            try (SimulatedRing ring = kernel.openRing(1)) {
                Caller caller = new Caller(ring);
                ByteBuffer dst = ByteBuffer.allocateDirect(64 * 1024);
                byte[] copy = new byte[dst.capacity()];
                for (;;) {
                    int n = caller.call(Op.RECV, pair[1], dst, 0, dst.capacity(), 0);
                    assertTrue(n >= 0, "recv returned " + n);
                    if (n == 0) {
                        break;
                    }
                    dst.get(0, copy, 0, n);
                    received.update(copy, 0, n);
                    receivedBytes[0] += n;
                }
            }
        });

        await().atMost(Duration.ofSeconds(30)).until(() -> !sender.isAlive() && !receiver.isAlive());
        assertNull(failure.get(), () -> "worker failed: " + failure.get());
        assertEquals(data.length, receivedBytes[0]);
        kernel.close(pair[0]);
        kernel.close(pair[1]);
        assertEquals(0, kernel.openDescriptors());
        return received.digest();
    }

    private static byte[] randomBytes(int length, long seed) {
        byte[] data = new byte[length];
        new SplittableRandom(seed).nextBytes(data);
        return data;
    }

    @Test
    void shouldTransferEightMebibytesIntactAcrossTwoRingsOnTwoThreads() throws Exception {
        byte[] data = randomBytes(8 << 20, 1);
        SimulatedKernel kernel = SimulatedKernel.builder().build();
        byte[] digest = transfer(kernel, data);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), digest);
        kernel.close();
    }

    @Test
    void shouldTransferIntactUnderRetryableFaultsAndLatency() throws Exception {
        byte[] data = randomBytes(2 << 20, 2);
        SimulatedKernel kernel = SimulatedKernel.builder()
                .seed(3)
                .latency(Latency.uniform(0, 20_000))
                .fault(Fault.EINTR, 0.02)
                .fault(Fault.EAGAIN, 0.02)
                .fault(Fault.SHORT_READ, 0.05)
                .fault(Fault.SHORT_WRITE, 0.05)
                .fault(Fault.DELAY, 0.02)
                .fault(Fault.REORDER, 0.02)
                .build();
        byte[] digest = transfer(kernel, data);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), digest);
        assertTrue(kernel.faultsInjected(Fault.SHORT_WRITE) > 0);
        kernel.close();
    }

    @Test
    void shouldWakeOwnerBlockedInAwaitWhenPeerRingDeliversData() {
        SimulatedKernel kernel = SimulatedKernel.builder().build();
        int[] pair = connectedPair(kernel);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int[] result = {Integer.MIN_VALUE};

        Thread waiter = start("waiter", failure, () -> {
            try (SimulatedRing ring = kernel.openRing(0)) {
                result[0] = new Caller(ring).call(Op.RECV, pair[1], ByteBuffer.allocate(16), 0, 16, 0);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> parked(waiter));

        RingDriver sender = new RingDriver(kernel.openRing(1));
        assertEquals(3, sender.complete(sender.send(pair[0], ByteBuffer.wrap(new byte[] {1, 2, 3}))));
        await().atMost(Duration.ofSeconds(10)).until(() -> !waiter.isAlive());
        assertNull(failure.get());
        assertEquals(3, result[0]);
        sender.ring().close();
        kernel.close();
    }

    @Test
    void shouldCancelRecvWaitingOnAnotherThreadsRingWhenSocketClosesHere() {
        SimulatedKernel kernel = SimulatedKernel.builder().build();
        int[] pair = connectedPair(kernel);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int[] result = {Integer.MIN_VALUE};

        Thread waiter = start("waiter", failure, () -> {
            try (SimulatedRing ring = kernel.openRing(0)) {
                result[0] = new Caller(ring).call(Op.RECV, pair[1], ByteBuffer.allocate(16), 0, 16, 0);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> parked(waiter));
        assertEquals(0, kernel.close(pair[1]));
        await().atMost(Duration.ofSeconds(10)).until(() -> !waiter.isAlive());
        assertNull(failure.get());
        assertEquals(-Errno.ECANCELED, result[0]);
        kernel.close();
    }

    @Test
    void shouldWakeOwnerWithEcanceledWhenAnotherThreadClosesFileUnderDelayedRead() {
        SimulatedKernel kernel = SimulatedKernel.builder().latency(Op.READ, Latency.fixed(Duration.ofHours(1))).build();
        int fd = kernel.open("/slow", Backend.O_RDWR | Backend.O_CREAT, 0);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int[] result = {Integer.MIN_VALUE};
        Thread reader = start("reader", failure, () -> {
            try (SimulatedRing ring = kernel.openRing(0)) {
                result[0] = new Caller(ring).call(Op.READ, fd, ByteBuffer.allocate(8), 0, 8, 0);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> parked(reader));
        assertEquals(0, kernel.close(fd));
        await().atMost(Duration.ofSeconds(10)).until(() -> !reader.isAlive());
        assertNull(failure.get());
        assertEquals(-Errno.ECANCELED, result[0]);
        kernel.close();
    }

    @Test
    void shouldReturnFromAwaitWhenWokenFromAnotherThread() {
        SimulatedKernel kernel = SimulatedKernel.builder().build();
        AtomicReference<SimulatedRing> ring = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread waiter = start("waiter", failure, () -> {
            SimulatedRing r = kernel.openRing(0);
            ring.set(r);
            r.await(-1);
            r.close();
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> parked(waiter));
        ring.get().wakeup();
        await().atMost(Duration.ofSeconds(10)).until(() -> !waiter.isAlive());
        assertNull(failure.get());
        kernel.close();
    }

    @Test
    void shouldNotLoseWakeupsRacingWithAwait() {
        SimulatedKernel kernel = SimulatedKernel.builder().build();
        SimulatedRing[] ring = new SimulatedRing[1];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int rounds = 20_000;
        java.util.concurrent.atomic.AtomicInteger awaited = new java.util.concurrent.atomic.AtomicInteger();
        ring[0] = kernel.openRing(0);
        Thread waiter = start("waiter", failure, () -> {
            for (int i = 0; i < rounds; i++) {
                // Each wake-up is consumed by exactly one await; a lost one leaves this thread parked for good.
                ring[0].await(-1);
                awaited.incrementAndGet();
            }
        });
        Thread waker = start("waker", failure, () -> {
            for (int i = 0; i < rounds; i++) {
                int target = i;
                while (awaited.get() < target) {
                    Thread.onSpinWait();
                }
                ring[0].wakeup();
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> !waiter.isAlive() && !waker.isAlive());
        assertNull(failure.get());
        assertEquals(rounds, awaited.get());
        ring[0].close();
        kernel.close();
    }
}
