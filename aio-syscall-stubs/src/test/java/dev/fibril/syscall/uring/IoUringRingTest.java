/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.contract.BackendFixture;
import dev.fibril.syscall.contract.BackendKind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoUringRingTest extends BackendFixture {
    private IoUringRing typedRing;
    private IoUringBackend typedBackend;

    IoUringRingTest() {
        super(BackendKind.IO_URING);
    }

    @BeforeEach
    void typed() {
        typedRing = (IoUringRing) ring;
        typedRing.start(); // on the thread that drives it, as a carrier does: counts start after it
        typedBackend = (IoUringBackend) backend;
    }



    @Test
    void shouldSubmitSixtyFourNopsWithOneKernelCall() {
        long before = typedRing.kernelCalls();
        long[] sum = new long[1];
        Set<IoRequest> sent = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<IoRequest> back = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 64; i++) {
            IoRequest nop = driver.request(Op.NOP, -1, null, 0, 0, 0);
            sent.add(nop);
            assertTrue(typedRing.enqueue(nop));
        }
        assertEquals(64, typedRing.flush());
        CompletionSink sink = (request, result) -> {
            assertTrue(back.add(request), "each request comes back once");
            sum[0] += result;
        };
        int reaped = 0;
        while (reaped < 64) {
            int n = typedRing.reap(sink, 64);
            if (n == 0) {
                typedRing.await(TimeUnit.SECONDS.toNanos(5));
            }
            reaped += n;
        }
        long calls = typedRing.kernelCalls() - before;
        System.out.println("[io_uring] 64 NOPs: " + calls + " io_uring_enter call(s), "
                + (double) calls / 64 + " per request");
        assertEquals(1, calls, "io_uring_enter calls for enqueue x64, flush, reap x64");
        assertEquals(64, reaped);
        assertEquals(sent, back, "the very objects enqueued come back");
        assertEquals(0, sum[0]);
    }

    @Test
    void shouldFailRegionOutsideBufferWithEfaultWithoutKernel() {
        ByteBuffer heap = ByteBuffer.allocate(16);
        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        long before = typedRing.kernelCalls();
        IoRequest pastEnd = driver.request(Op.READ, 0, heap, 10, 10, 0);
        IoRequest directPastEnd = driver.request(Op.WRITE, 1, direct, 0, 17, 0);
        IoRequest negativeLength = driver.request(Op.RECV, 0, heap, 0, -1, 0);
        IoRequest negativePosition = driver.request(Op.SEND, 1, direct, -1, 4, 0);
        IoRequest nullBuffer = driver.request(Op.WRITE, 1, null, 0, 4, 0);
        IoRequest readIntoReadOnly = driver.request(Op.READ, 0, heap.asReadOnlyBuffer(), 0, 4, 0);
        IoRequest overflow = driver.request(Op.READ, 0, heap, Integer.MAX_VALUE, Integer.MAX_VALUE, 0);
        for (IoRequest r : new IoRequest[]{pastEnd, directPastEnd, negativeLength, negativePosition, nullBuffer,
                readIntoReadOnly, overflow}) {
            driver.enqueue(r);
        }
        assertEquals(7, typedRing.inFlight());
        assertEquals(-Errno.EFAULT, driver.complete(pastEnd));
        assertEquals(-Errno.EFAULT, driver.complete(directPastEnd));
        assertEquals(-Errno.EFAULT, driver.complete(negativeLength));
        assertEquals(-Errno.EFAULT, driver.complete(negativePosition));
        assertEquals(-Errno.EFAULT, driver.complete(nullBuffer));
        assertEquals(-Errno.EFAULT, driver.complete(readIntoReadOnly));
        assertEquals(-Errno.EFAULT, driver.complete(overflow));
        assertEquals(before, typedRing.kernelCalls(), "a bad region never reaches the kernel");
    }







    @Test
    void shouldReturnFalseFromEnqueueWhenSubmissionQueueIsFull() {
        int accepted = 0;
        while (typedRing.enqueue(driver.request(Op.NOP, -1, null, 0, 0, 0))) {
            accepted++;
            assertTrue(accepted <= typedRing.sqEntries(), "enqueue never refused");
        }
        assertEquals(typedRing.sqEntries() - 1, accepted, "one SQE is kept for the wake-up read");
        assertEquals(accepted, typedRing.flush());
        int reaped = 0;
        while (reaped < accepted) {
            int n = typedRing.reap(driver, 1024);
            if (n == 0) {
                typedRing.await(TimeUnit.SECONDS.toNanos(5));
            }
            reaped += n;
        }
        assertTrue(typedRing.enqueue(driver.request(Op.NOP, -1, null, 0, 0, 0)), "room again after the flush");
        typedRing.flush();
        while (typedRing.inFlight() > 0) {
            if (typedRing.reap(driver, 64) == 0) {
                typedRing.await(TimeUnit.SECONDS.toNanos(5));
            }
        }
    }

    @Test
    void shouldDeliverEveryCompletionWhenMoreAreInFlightThanTheQueuesHold() {
        int total = typedRing.cqEntries() * 3;
        IoRequest[] timeouts = new IoRequest[total];
        for (int i = 0; i < total; i++) {
            timeouts[i] = driver.request(Op.TIMEOUT, -1, null, 0, 0, TimeUnit.MILLISECONDS.toNanos(1));
            if (!typedRing.enqueue(timeouts[i])) {
                typedRing.flush();
                assertTrue(typedRing.enqueue(timeouts[i]));
            }
        }
        for (IoRequest t : timeouts) {
            assertEquals(-Errno.ETIME, driver.complete(t));
        }
    }


    @Test
    void shouldReportProbeAndSupportedOps() {
        IoUringProbe probe = IoUringBackend.probe();
        System.out.println("[io_uring] " + probe);
        assertTrue(probe.available());
        for (byte op : new byte[]{Op.NOP, Op.READ, Op.WRITE, Op.FSYNC, Op.OPENAT, Op.CLOSE, Op.ACCEPT, Op.CONNECT,
                Op.RECV, Op.SEND, Op.POLL_ADD, Op.TIMEOUT, Op.LINK_TIMEOUT, Op.ASYNC_CANCEL, Op.SPLICE, Op.SHUTDOWN}) {
            assertTrue(typedRing.supports(op), Op.name(op));
        }
        assertFalse(probe.supports(255));
        assertTrue((probe.features() & IoUringConstants.IORING_FEAT_NODROP) != 0);
    }
}
