/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ring itself: every enqueued object comes back once, bad requests fail with the errno Linux
 * names before any I/O, timers fire in deadline order even for an owner that never waits, a full
 * submission queue refuses, and a closed ring or backend refuses what comes after.
 */
public abstract class RingContract extends BackendFixture {
    protected RingContract(BackendKind kind) {
        super(kind);
    }

    private IoRequest timeoutMillis(long millis) {
        return timeout(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void shouldRoundTripANopCountedInFlightUntilReaped() {
        IoRequest nop = nop();
        driver.enqueue(nop);
        assertEquals(1, ring.inFlight());
        assertEquals(0, driver.complete(nop));
        assertEquals(0, ring.inFlight());
    }

    @Test
    void shouldGiveBackEveryEnqueuedObjectOnce() {
        Set<IoRequest> sent = Collections.newSetFromMap(new IdentityHashMap<>());
        IoRequest[] nops = new IoRequest[64];
        for (int i = 0; i < nops.length; i++) {
            nops[i] = nop();
            sent.add(nops[i]);
            assertTrue(ring.enqueue(nops[i]));
        }
        assertEquals(64, ring.flush());
        if (kind.has(Capability.INLINE_NOPS)) {
            assertEquals(64, driver.reap(), "all completed during the flush");
            assertArrayEquals(nops, driver.delivered().toArray(), "the very objects enqueued come back, in order");
        }
        for (IoRequest nop : nops) {
            assertEquals(0, driver.complete(nop));
        }
        Set<IoRequest> back = Collections.newSetFromMap(new IdentityHashMap<>());
        back.addAll(driver.delivered());
        assertEquals(sent, back, "the very objects enqueued come back");
    }

    @Test
    void shouldReapNoMoreThanAskedFor() {
        IoRequest[] nops = {nop(), nop(), nop(), nop(), nop()};
        driver.enqueue(nops);
        ring.flush();
        await().atMost(10, TimeUnit.SECONDS).pollInSameThread().until(() -> {
            ring.await(TimeUnit.MILLISECONDS.toNanos(10));
            return ring.reap(driver, 2) == 2;
        });
        assertEquals(3, ring.inFlight());
        for (IoRequest nop : nops) {
            assertEquals(0, driver.complete(nop));
        }
    }

    @Test
    void shouldFailARegionOutsideTheBufferWithEfaultAndLeaveTheBufferUntouched() {
        int fd = file("fault", new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        ByteBuffer heap = ByteBuffer.allocate(16);
        IoRequest[] bad = {
                read(fd, heap, 10, 10, 0),
                write(fd, ByteBuffer.allocateDirect(16), 0, 17, 0),
                write(fd, heap, -1, 4, 0),
                write(fd, null, 0, 4, 0),
                read(fd, null, 0, 2, 0),
                read(fd, heap.asReadOnlyBuffer(), 0, 4, 0),
                read(fd, heap, Integer.MAX_VALUE, Integer.MAX_VALUE, 0),
        };
        driver.enqueue(bad);
        assertEquals(bad.length, ring.inFlight());
        for (IoRequest r : bad) {
            assertEquals(-Errno.EFAULT, driver.complete(r));
        }
        assertArrayEquals(new byte[16], heap.array(), "nothing written into the buffer");
        assertEquals(1, driver.run(write(fd, ascii("x").asReadOnlyBuffer(), 0, 1, 0)), "a read-only buffer can be written out");

        int[] pair = connectedPair();
        assertEquals(4, send(pair[0], "abcd"));
        ByteBuffer small = ByteBuffer.allocate(4);
        assertEquals(-Errno.EFAULT, driver.run(driver.request(Op.RECV, pair[1], small, 3, 2, 0)));
        assertEquals(-Errno.EFAULT, driver.run(driver.request(Op.SEND, pair[0], small, Integer.MAX_VALUE, 2, 0)));
        assertEquals(4, driver.run(recv(pair[1], 4)), "the refused RECV took nothing");
    }

    @Test
    void shouldFailANegativeLength() {
        int fd = file("negative", new byte[8]);
        int expected = kind.has(Capability.NEGATIVE_LENGTH_EINVAL) ? -Errno.EINVAL : -Errno.EFAULT;
        assertEquals(expected, driver.run(read(fd, ByteBuffer.allocate(8), 0, -1, 0)));
        int[] pair = connectedPair();
        assertEquals(expected, driver.run(driver.request(Op.SEND, pair[0], ByteBuffer.allocate(8), 0, -3, 0)));
        assertEquals(expected, driver.run(driver.request(Op.RECV, pair[1], ByteBuffer.allocate(8), 0, -1, 0)));
    }

    @Test
    void shouldFailUnknownAndUnsupportedOpcodesWithEinval() {
        for (byte op : new byte[] {60, 63, -1}) {
            assertEquals(-Errno.EINVAL, driver.run(driver.request(op, -1, null, 0, 0, 0)), Op.name(op));
        }
        assertEquals(kind.has(Capability.SPLICE), backend.supports(Op.SPLICE));
        if (!kind.has(Capability.SPLICE)) {
            assertEquals(-Errno.EINVAL, driver.run(driver.request(Op.SPLICE, 3, null, 0, 0, 0)));
        }
        for (byte op : new byte[] {Op.NOP, Op.READ, Op.WRITE, Op.FSYNC, Op.ACCEPT, Op.CONNECT, Op.RECV, Op.SEND,
                Op.SHUTDOWN, Op.TIMEOUT, Op.LINK_TIMEOUT, Op.ASYNC_CANCEL, Op.POLL_ADD, Op.OPENAT, Op.CLOSE}) {
            assertTrue(backend.supports(op), Op.name(op));
        }
    }

    @Test
    void shouldFailAnUnknownDescriptorWithEbadf() {
        ByteBuffer buffer = ByteBuffer.allocate(8);
        for (byte op : new byte[] {Op.READ, Op.WRITE, Op.RECV, Op.SEND, Op.FSYNC, Op.ACCEPT, Op.SHUTDOWN, Op.POLL_ADD}) {
            IoRequest r = driver.request(op, 4242, buffer, 0, 8, 0);
            if (op == Op.POLL_ADD) {
                r.opFlags(IoRequest.POLLIN);
            }
            assertEquals(-Errno.EBADF, driver.run(r), Op.name(op));
        }
        assertEquals(-Errno.EBADF, driver.run(read(-5, buffer, 0, 8, 0)));
        assertEquals(-Errno.EBADF, driver.run(driver.request(Op.FSYNC, 1 << 30, null, 0, 0, 0)));
        assertEquals(-Errno.EBADF, backend.close(4242));
        assertEquals(-Errno.EBADF, backend.size(4242));
        assertEquals(-Errno.EBADF, backend.truncate(4242, 0));
        assertEquals(-Errno.EBADF, backend.listen(4242, null, 1));
    }

    @Test
    void shouldCompleteATimeoutWithEtimeAfterItsDurationAndRefuseANegativeOne() {
        long start = System.nanoTime();
        int result = driver.run(timeoutMillis(20));
        long elapsed = System.nanoTime() - start;
        assertEquals(-Errno.ETIME, result);
        assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(19), "timed out after " + elapsed + " ns");
        assertEquals(-Errno.EINVAL, driver.run(timeout(-1)));
        assertEquals(-Errno.ETIME, driver.run(timeout(0)), "a zero timeout is due at once");
    }

    @Test
    void shouldFireTimersInDeadlineOrder() {
        long[] delaysMs = {30, 5, 20, 1, 10};
        IoRequest[] timeouts = new IoRequest[delaysMs.length];
        for (int i = 0; i < delaysMs.length; i++) {
            timeouts[i] = timeoutMillis(delaysMs[i]);
        }
        driver.enqueue(timeouts);
        for (IoRequest t : timeouts) {
            assertEquals(-Errno.ETIME, driver.complete(t));
        }
        assertArrayEquals(new IoRequest[] {timeouts[3], timeouts[1], timeouts[4], timeouts[2], timeouts[0]},
                driver.delivered().toArray());
    }

    @Test
    void shouldExpireTimersOnTheReapsOfABusyOwnerThatNeverAwaits() {
        IoRequest timeout = driver.submit(timeoutMillis(5));
        IoRequest nop = new IoRequest();
        // The owner always has a NOP to run, as a carrier with a spinning fibril: it never awaits.
        await().atMost(10, TimeUnit.SECONDS).pollInSameThread().pollInterval(java.time.Duration.ZERO).until(() -> {
            for (int i = 0; i < 1000 && !driver.delivered().contains(timeout); i++) {
                nop.prepare(Op.NOP, -1, null, 0, 0, 0);
                ring.enqueue(nop);
                ring.flush();
                ring.reap(driver, 64);
                if (driver.delivered().contains(nop)) {
                    driver.resultNow(nop);
                    driver.delivered().remove(nop);
                }
            }
            return driver.delivered().contains(timeout);
        });
        assertEquals(-Errno.ETIME, driver.resultNow(timeout));
        while (ring.inFlight() > 0) {
            ring.await(TimeUnit.MILLISECONDS.toNanos(10));
            ring.reap(driver, 64);
        }
    }

    @Test
    void shouldStartEnqueuedRequestsWhenAwaitingWithoutAFlush() {
        require(Capability.AWAIT_SUBMITS);
        IoRequest timeout = timeoutMillis(5);
        driver.enqueue(timeout);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (driver.reap() == 0 && System.nanoTime() < deadline) {
            ring.await(TimeUnit.SECONDS.toNanos(1)); // never flushed: await starts it, as io_uring_enter would
        }
        assertEquals(-Errno.ETIME, driver.resultNow(timeout));
    }

    @Test
    void shouldRefuseEnqueueWhenTheSubmissionQueueIsFullUntilFlushed() {
        int accepted = 0;
        while (ring.enqueue(nop())) {
            accepted++;
            assertTrue(accepted <= 1 << 16, "enqueue never refused");
        }
        assertTrue(accepted > 0);
        assertEquals(accepted, ring.flush());
        assertTrue(ring.enqueue(nop()), "room again after the flush");
        ring.flush();
        while (ring.inFlight() > 0) {
            if (driver.reap() == 0) {
                ring.await(TimeUnit.SECONDS.toNanos(5));
            }
        }
    }

    @Test
    void shouldRefuseEnqueueOnAClosedRingAndNewRingsOfAClosedBackend() {
        CompletionRing other = backend.openRing(1);
        other.close();
        other.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> other.enqueue(nop()));
        other.wakeup(); // harmless after close
        if (kind.has(Capability.FLUSH_AFTER_CLOSE_IS_HARMLESS)) {
            assertEquals(0, other.flush());
        } else {
            assertThrows(IllegalStateException.class, other::flush);
        }
        var closed = kind.open();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.openRing(0));
    }

    @Test
    void shouldDeliverEveryCompletionWhenMoreAreInFlightThanTheQueuesHold() {
        IoRequest[] timeouts = new IoRequest[3 * 4096];
        for (int i = 0; i < timeouts.length; i++) {
            timeouts[i] = timeoutMillis(1);
            if (!ring.enqueue(timeouts[i])) {
                ring.flush();
                assertTrue(ring.enqueue(timeouts[i]));
            }
        }
        for (IoRequest t : timeouts) {
            assertEquals(-Errno.ETIME, driver.complete(t));
        }
    }
}
