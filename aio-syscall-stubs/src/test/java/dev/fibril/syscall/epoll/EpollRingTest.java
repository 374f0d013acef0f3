/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.contract.BackendFixture;
import dev.fibril.syscall.contract.BackendKind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EpollRingTest extends BackendFixture {
    private EpollRing typedRing;
    private EpollBackend typedBackend;

    EpollRingTest() {
        super(BackendKind.EPOLL);
    }

    @BeforeEach
    void typed() {
        typedRing = (EpollRing) ring;
        typedBackend = (EpollBackend) backend;
    }



    @Test
    void shouldCompleteSixtyFourNopsInOneFlushWithoutKernelCall() {
        long before = typedRing.kernelCalls();
        long[] sum = new long[1];
        java.util.List<IoRequest> sent = new java.util.ArrayList<>();
        java.util.List<IoRequest> back = new java.util.ArrayList<>();
        for (int i = 0; i < 64; i++) {
            IoRequest nop = driver.request(Op.NOP, -1, null, 0, 0, 0);
            sent.add(nop);
            assertTrue(typedRing.enqueue(nop));
        }
        assertEquals(64, typedRing.flush());
        CompletionSink sink = (request, result) -> {
            back.add(request);
            sum[0] += result;
        };
        assertEquals(64, typedRing.reap(sink, 100), "all completed during the flush");
        System.out.println("[epoll] 64 NOPs: " + (typedRing.kernelCalls() - before) + " kernel calls");
        assertEquals(before, typedRing.kernelCalls(), "a NOP needs no system call");
        for (int i = 0; i < 64; i++) {
            assertSame(sent.get(i), back.get(i), "the very objects enqueued come back, in order");
        }
        assertEquals(0, sum[0]);
    }






    @Test
    void shouldExpireTimersOnReapsOfABusyOwnerThatNeverAwaits() {
        IoRequest timeout = driver.request(Op.TIMEOUT, -1, null, 0, 0, TimeUnit.MILLISECONDS.toNanos(5));
        driver.enqueue(timeout);
        typedRing.flush();
        boolean[] fired = new boolean[1];
        CompletionSink sink = (request, result) -> {
            if (request == timeout) {
                assertEquals(-Errno.ETIME, result);
                fired[0] = true;
            }
        };
        IoRequest nop = new IoRequest();
        long busyPolls = typedRing.busyPolls();
        // The owner always has a NOP to run, as a carrier with a spinning fibril: it never awaits.
        await().atMost(10, TimeUnit.SECONDS).pollInSameThread().pollInterval(java.time.Duration.ZERO).until(() -> {
            for (int i = 0; i < 1000 && !fired[0]; i++) {
                nop.prepare(Op.NOP, -1, null, 0, 0, 0);
                typedRing.enqueue(nop);
                typedRing.flush();
                typedRing.reap(sink, 64);
            }
            return fired[0];
        });
        assertTrue(typedRing.busyPolls() > busyPolls, "found by a poll inside reap");
    }







    @Test
    void shouldReturnFalseFromEnqueueWhenSubmissionQueueIsFull() {
        int accepted = 0;
        while (typedRing.enqueue(driver.request(Op.NOP, -1, null, 0, 0, 0))) {
            accepted++;
            assertTrue(accepted <= EpollBackend.DEFAULT_SUBMISSION_ENTRIES, "enqueue never refused");
        }
        assertEquals(EpollBackend.DEFAULT_SUBMISSION_ENTRIES, accepted);
        assertEquals(accepted, typedRing.flush());
        assertEquals(accepted, typedRing.reap(driver, Integer.MAX_VALUE));
        assertTrue(typedRing.enqueue(driver.request(Op.NOP, -1, null, 0, 0, 0)), "room again after the flush");
        typedRing.flush();
        assertEquals(1, typedRing.reap(driver, 64));
    }



    @Test
    void shouldRoundWaitTimesUpToWholeMilliseconds() {
        assertEquals(1, EpollRing.ceilMillis(1));
        assertEquals(1, EpollRing.ceilMillis(1_000_000));
        assertEquals(2, EpollRing.ceilMillis(1_000_001));
        assertEquals(Long.MAX_VALUE / 1_000_000 + 1, EpollRing.ceilMillis(Long.MAX_VALUE));
    }
}
