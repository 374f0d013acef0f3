package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EpollRingTest extends EpollTestBase {

    @Test
    void shouldRoundTripNop() {
        IoRequest nop = driver.request(Op.NOP, -1, null, 0, 0, 0);
        driver.enqueue(nop);
        assertEquals(1, ring.inFlight());
        assertEquals(0, driver.complete(nop));
        assertEquals(0, ring.inFlight());
    }

    @Test
    void shouldCompleteSixtyFourNopsInOneFlushWithoutKernelCall() {
        long before = ring.kernelCalls();
        long[] sum = new long[1];
        java.util.List<IoRequest> sent = new java.util.ArrayList<>();
        java.util.List<IoRequest> back = new java.util.ArrayList<>();
        for (int i = 0; i < 64; i++) {
            IoRequest nop = driver.request(Op.NOP, -1, null, 0, 0, 0);
            sent.add(nop);
            assertTrue(ring.enqueue(nop));
        }
        assertEquals(64, ring.flush());
        CompletionSink sink = (request, result) -> {
            back.add(request);
            sum[0] += result;
        };
        assertEquals(64, ring.reap(sink, 100), "all completed during the flush");
        System.out.println("[epoll] 64 NOPs: " + (ring.kernelCalls() - before) + " kernel calls");
        assertEquals(before, ring.kernelCalls(), "a NOP needs no system call");
        for (int i = 0; i < 64; i++) {
            assertSame(sent.get(i), back.get(i), "the very objects enqueued come back, in order");
        }
        assertEquals(0, sum[0]);
    }

    @Test
    void shouldFailUnsupportedAndUnknownOpcodesWithEinval() {
        for (byte op : new byte[]{Op.SPLICE, 63}) {
            assertFalse(ring.supports(op), Op.name(op));
            assertEquals(-Errno.EINVAL, driver.run(driver.request(op, 3, null, 0, 0, 0)), Op.name(op));
        }
        for (byte op : new byte[]{Op.NOP, Op.READ, Op.WRITE, Op.FSYNC, Op.ACCEPT, Op.CONNECT, Op.RECV, Op.SEND,
                Op.SHUTDOWN, Op.TIMEOUT, Op.LINK_TIMEOUT, Op.ASYNC_CANCEL, Op.POLL_ADD, Op.OPENAT, Op.CLOSE, Op.STATX,
                Op.FTRUNCATE, Op.SOCKET}) {
            assertTrue(ring.supports(op), Op.name(op));
            assertTrue(backend.supports(op), Op.name(op));
        }
        assertFalse(EpollBackend.supportsOp(-1));
        assertFalse(EpollBackend.supportsOp(255));
    }

    @Test
    void shouldFailUnknownDescriptorWithEbadf() {
        ByteBuffer buffer = ByteBuffer.allocate(8);
        for (byte op : new byte[]{Op.READ, Op.WRITE, Op.RECV, Op.SEND, Op.FSYNC, Op.ACCEPT, Op.SHUTDOWN, Op.POLL_ADD}) {
            assertEquals(-Errno.EBADF, driver.run(driver.request(op, 4242, buffer, 0, 8, 0)), Op.name(op));
        }
        assertEquals(-Errno.EBADF, driver.run(driver.request(Op.READ, -1, buffer, 0, 8, 0)));
        assertEquals(-Errno.EBADF, backend.close(4242));
        assertEquals(-Errno.EBADF, backend.size(4242));
        assertEquals(-Errno.EBADF, backend.truncate(4242, 0));
        assertEquals(-Errno.EBADF, backend.listen(4242, null, 1));
    }

    @Test
    void shouldFailRegionOutsideBufferWithEfault() throws Exception {
        Path file = Files.createTempFile("fibril-epoll", ".bin");
        int fd = backend.open(file.toString(), Backend.O_RDWR, 0);
        try {
            ByteBuffer heap = ByteBuffer.allocate(16);
            IoRequest[] bad = {
                    driver.request(Op.READ, fd, heap, 10, 10, 0),
                    driver.request(Op.WRITE, fd, ByteBuffer.allocateDirect(16), 0, 17, 0),
                    driver.request(Op.READ, fd, heap, 0, -1, 0),
                    driver.request(Op.WRITE, fd, heap, -1, 4, 0),
                    driver.request(Op.WRITE, fd, null, 0, 4, 0),
                    driver.request(Op.READ, fd, heap.asReadOnlyBuffer(), 0, 4, 0),
                    driver.request(Op.READ, fd, heap, Integer.MAX_VALUE, Integer.MAX_VALUE, 0),
            };
            driver.enqueue(bad);
            for (IoRequest r : bad) {
                assertEquals(-Errno.EFAULT, driver.complete(r));
            }
            assertEquals(0, ring.blockingFileCalls(), "a bad region never reaches the file");
        } finally {
            backend.close(fd);
            Files.delete(file);
        }
    }

    @Test
    void shouldCompleteTimeoutWithEtimeAfterItsDuration() {
        long start = System.nanoTime();
        int result = driver.run(driver.request(Op.TIMEOUT, -1, null, 0, 0, TimeUnit.MILLISECONDS.toNanos(20)));
        long elapsed = System.nanoTime() - start;
        assertEquals(-Errno.ETIME, result);
        assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(20), "timed out after " + elapsed + " ns");
    }

    @Test
    void shouldFireTimersInDeadlineOrder() {
        long[] delaysMs = {30, 5, 20, 1, 10};
        IoRequest[] timeouts = new IoRequest[delaysMs.length];
        for (int i = 0; i < delaysMs.length; i++) {
            timeouts[i] = driver.request(Op.TIMEOUT, -1, null, 0, 0, TimeUnit.MILLISECONDS.toNanos(delaysMs[i]));
        }
        driver.enqueue(timeouts);
        ring.flush();
        IoRequest[] order = new IoRequest[delaysMs.length];
        int[] n = {0};
        while (n[0] < delaysMs.length) {
            if (ring.reap((request, result) -> {
                assertEquals(-Errno.ETIME, result);
                order[n[0]++] = request;
            }, 16) == 0) {
                ring.await(TimeUnit.SECONDS.toNanos(1));
            }
        }
        IoRequest[] expected = {timeouts[3], timeouts[1], timeouts[4], timeouts[2], timeouts[0]};
        assertArrayEquals(expected, order);
    }

    @Test
    void shouldExpireTimersOnReapsOfABusyOwnerThatNeverAwaits() {
        IoRequest timeout = driver.request(Op.TIMEOUT, -1, null, 0, 0, TimeUnit.MILLISECONDS.toNanos(5));
        driver.enqueue(timeout);
        ring.flush();
        boolean[] fired = new boolean[1];
        CompletionSink sink = (request, result) -> {
            if (request == timeout) {
                assertEquals(-Errno.ETIME, result);
                fired[0] = true;
            }
        };
        IoRequest nop = new IoRequest();
        long busyPolls = ring.busyPolls();
        // The owner always has a NOP to run, as a carrier with a spinning fibril: it never awaits.
        await().atMost(10, TimeUnit.SECONDS).pollInSameThread().pollInterval(java.time.Duration.ZERO).until(() -> {
            for (int i = 0; i < 1000 && !fired[0]; i++) {
                nop.prepare(Op.NOP, -1, null, 0, 0, 0);
                ring.enqueue(nop);
                ring.flush();
                ring.reap(sink, 64);
            }
            return fired[0];
        });
        assertTrue(ring.busyPolls() > busyPolls, "found by a poll inside reap");
    }

    @Test
    void shouldRejectNegativeTimeout() {
        assertEquals(-Errno.EINVAL, driver.run(driver.request(Op.TIMEOUT, -1, null, 0, 0, -1)));
    }

    @Test
    void shouldStartEnqueuedRequestsWhenAwaitingWithoutFlush() {
        IoRequest timeout = driver.request(Op.TIMEOUT, -1, null, 0, 0, TimeUnit.MILLISECONDS.toNanos(5));
        driver.enqueue(timeout);
        int[] result = {0};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ring.reap((request, res) -> result[0] = res, 8) == 0 && System.nanoTime() < deadline) {
            ring.await(TimeUnit.SECONDS.toNanos(1)); // never flushed: await starts it, as io_uring_enter would
        }
        assertEquals(-Errno.ETIME, result[0]);
    }

    @Test
    void shouldReturnFromAwaitAfterTimeoutWhenNothingHappens() {
        long start = System.nanoTime();
        ring.await(TimeUnit.MILLISECONDS.toNanos(30));
        long elapsed = System.nanoTime() - start;
        assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(29), "returned after " + elapsed + " ns");
        assertEquals(0, ring.reap(driver, 64));
    }

    @Test
    void shouldInterruptBlockedAwaitOnWakeupFromAnotherThread() throws Exception {
        Thread owner = Thread.currentThread();
        AtomicBoolean waking = new AtomicBoolean();
        AtomicLong wokenAt = new AtomicLong();
        Thread waker = Thread.ofPlatform().name("waker").start(() -> {
            // Wake only once the owner sits in epoll_wait (NIO's native EPoll.wait on top of its stack).
            await().atMost(10, TimeUnit.SECONDS).until(() -> waking.get() && inEpollWait(owner));
            wokenAt.set(System.nanoTime());
            ring.wakeup();
        });
        waking.set(true);
        long start = System.nanoTime();
        ring.await(TimeUnit.SECONDS.toNanos(30));
        long returned = System.nanoTime();
        waker.join();
        assertTrue(wokenAt.get() > 0, "waker never saw the owner blocked");
        assertTrue(returned - start < TimeUnit.SECONDS.toNanos(10), "await was not interrupted");
        assertEquals(0, ring.reap(driver, 64), "the wake-up is not a completion");
        assertEquals(0, ring.inFlight());
    }

    @Test
    void shouldBlockUntilWokenForNoTimeoutAndHugeTimeout() throws Exception {
        Thread owner = Thread.currentThread();
        for (long timeout : new long[]{-1, Long.MAX_VALUE}) {
            AtomicLong wokenAt = new AtomicLong();
            Thread waker = Thread.ofPlatform().name("waker").start(() -> {
                // the owner must stay in epoll_wait, not spin through short selects
                await().during(100, TimeUnit.MILLISECONDS).atMost(10, TimeUnit.SECONDS).until(() -> inEpollWait(owner));
                wokenAt.set(System.nanoTime());
                ring.wakeup();
            });
            ring.await(timeout);
            long returned = System.nanoTime();
            waker.join();
            assertTrue(wokenAt.get() > 0 && returned - wokenAt.get() >= 0, "returned before the wake-up, timeout " + timeout);
        }
        assertEquals(1, EpollRing.ceilMillis(1));
        assertEquals(1, EpollRing.ceilMillis(1_000_000));
        assertEquals(2, EpollRing.ceilMillis(1_000_001));
        assertEquals(Long.MAX_VALUE / 1_000_000 + 1, EpollRing.ceilMillis(Long.MAX_VALUE));
    }

    @Test
    void shouldReturnAtOnceFromAwaitAfterEarlierWakeup() {
        ring.wakeup();
        ring.wakeup(); // a second one before the wait folds into the first
        long start = System.nanoTime();
        ring.await(TimeUnit.SECONDS.toNanos(30));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        assertEquals(0, ring.reap(driver, 64));
        // Consumed: the next wait blocks until its timeout again.
        start = System.nanoTime();
        ring.await(TimeUnit.MILLISECONDS.toNanos(50));
        long elapsed = System.nanoTime() - start;
        assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(49), "returned after " + elapsed + " ns");
    }

    @Test
    void shouldReturnFalseFromEnqueueWhenSubmissionQueueIsFull() {
        int accepted = 0;
        while (ring.enqueue(driver.request(Op.NOP, -1, null, 0, 0, 0))) {
            accepted++;
            assertTrue(accepted <= EpollBackend.DEFAULT_SUBMISSION_ENTRIES, "enqueue never refused");
        }
        assertEquals(EpollBackend.DEFAULT_SUBMISSION_ENTRIES, accepted);
        assertEquals(accepted, ring.flush());
        assertEquals(accepted, ring.reap(driver, Integer.MAX_VALUE));
        assertTrue(ring.enqueue(driver.request(Op.NOP, -1, null, 0, 0, 0)), "room again after the flush");
        ring.flush();
        assertEquals(1, ring.reap(driver, 64));
    }

    @Test
    void shouldRefuseEnqueueAndNewRingsOnceClosed() {
        EpollRing other = backend.openRing(1);
        other.close();
        other.close(); // idempotent
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> other.enqueue(driver.request(Op.NOP, -1, null, 0, 0, 0)));
        other.wakeup(); // harmless after close
        assertEquals(0, other.flush());
        EpollBackend closedBackend = new EpollBackend();
        closedBackend.close();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> closedBackend.openRing(0));
    }

    static boolean inEpollWait(Thread thread) {
        StackTraceElement[] stack = thread.getStackTrace();
        return stack.length > 0 && stack[0].getClassName().equals("sun.nio.ch.EPoll") && stack[0].isNativeMethod();
    }
}
