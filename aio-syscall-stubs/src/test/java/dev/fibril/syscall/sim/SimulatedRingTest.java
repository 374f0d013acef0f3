/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

import static dev.fibril.syscall.RingDriver.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedRingTest {
    private static final int RW = Backend.O_RDWR | Backend.O_CREAT;

    private final ManualClock clock = new ManualClock(1_000_000);
    private SimulatedKernel kernel = SimulatedKernel.builder().clock(clock).submissionQueueEntries(8).build();
    private RingDriver driver = new RingDriver(kernel.openRing(0));

    @AfterEach
    void closeEverything() {
        driver.ring().close();
        kernel.close();
    }

    private void useKernel(SimulatedKernelBuilder builder) {
        driver.ring().close();
        kernel.close();
        kernel = builder.clock(clock).build();
        driver = new RingDriver(kernel.openRing(0));
    }

    private static IoRequest nop() {
        return request(Op.NOP, -1, null, 0, 0, 0);
    }

    private static IoRequest timeout(long nanos) {
        return request(Op.TIMEOUT, -1, null, 0, 0, nanos);
    }

    @Test
    void shouldRefuseEnqueueWhenSubmissionQueueIsFullUntilFlushed() {
        for (int i = 0; i < 8; i++) {
            driver.enqueued(nop());
        }
        assertFalse(driver.ring().enqueue(nop()));
        assertEquals(8, driver.ring().flush());
        assertTrue(driver.ring().enqueue(nop()));
    }



    @Test
    void shouldCountOneKernelCallPerFlushAndPerAwait() {
        driver.enqueued(nop());
        driver.enqueued(nop());
        driver.ring().flush();
        assertEquals(1, driver.ring().kernelCalls());
        assertEquals(0, driver.ring().flush());
        assertEquals(1, driver.ring().kernelCalls());
        driver.ring().await(0);
        assertEquals(2, driver.ring().kernelCalls());
    }

    @Test
    void shouldDeliverCompletionsInSubmissionOrderWithoutLatency() {
        IoRequest a = driver.enqueued(nop());
        IoRequest b = driver.enqueued(timeout(0));
        IoRequest c = driver.enqueued(nop());
        driver.ring().flush();
        driver.reap();
        assertEquals(List.of(a, b, c), driver.delivered());
        assertEquals(0, driver.resultNow(a));
        assertEquals(-Errno.ETIME, driver.resultNow(b));
        assertEquals(0, driver.resultNow(c));
    }

    @Test
    void shouldCompleteTimeoutWithEtimeOnlyAfterItsDuration() {
        IoRequest t = driver.submit(timeout(5_000));
        driver.reap();
        assertFalse(driver.hasResult(t));
        clock.advance(4_999);
        driver.reap();
        assertFalse(driver.hasResult(t));
        clock.advance(1);
        assertEquals(-Errno.ETIME, driver.resultNow(t));
    }





    @Test
    void shouldCancelCompletionHeldBackByLatency() {
        useKernel(SimulatedKernel.builder().latency(Op.NOP, Latency.fixed(10_000)));
        IoRequest slow = driver.submit(nop());
        IoRequest cancel = driver.submit(driver.cancelOf(slow));
        assertEquals(0, driver.resultNow(cancel));
        assertEquals(-Errno.ECANCELED, driver.resultNow(slow));
    }



    @Test
    void shouldCloseNewFdWhenDelayedAcceptIsCancelled() {
        useKernel(SimulatedKernel.builder().latency(Op.ACCEPT, Latency.fixed(10_000)));
        int listener = kernel.socket();
        kernel.listen(listener, new InetSocketAddress("127.0.0.1", 0), 4);
        int client = kernel.socket();
        assertEquals(0, driver.run(driver.connect(client, kernel.localAddress(listener))));
        IoRequest accept = driver.accept(listener);
        assertEquals(3, kernel.openDescriptors());
        assertEquals(0, driver.resultNow(driver.submit(driver.cancelOf(accept))));
        assertEquals(-Errno.ECANCELED, driver.resultNow(accept));
        assertEquals(2, kernel.openDescriptors());
    }

    @Test
    void shouldCancelDelayedFileReadWhenItsFdCloses() {
        useKernel(SimulatedKernel.builder().latency(Op.READ, Latency.fixed(Duration.ofHours(1))));
        int fd = kernel.open("/slow", RW, 0);
        IoRequest read = driver.submit(request(Op.READ, fd, ByteBuffer.allocate(8), 0, 8, 0));
        driver.reap();
        assertFalse(driver.hasResult(read));
        assertEquals(0, kernel.close(fd));
        assertEquals(-Errno.ECANCELED, driver.resultNow(read));
        assertEquals(0, driver.ring().inFlight());
    }

    @Test
    void shouldLeaveDelayedCompletionOfFileReopenedUnderSameFdNumber() {
        useKernel(SimulatedKernel.builder().latency(Op.READ, Latency.fixed(1_000)));
        int fd = kernel.open("/first", RW, 0);
        IoRequest old = driver.submit(request(Op.READ, fd, ByteBuffer.allocate(8), 0, 8, 0));
        kernel.close(fd);
        assertEquals(fd, kernel.open("/second", RW, 0));
        IoRequest fresh = driver.submit(request(Op.READ, fd, ByteBuffer.allocate(8), 0, 8, 0));
        assertEquals(-Errno.ECANCELED, driver.resultNow(old));
        assertFalse(driver.isComplete(fresh));
        clock.advance(1_000);
        assertEquals(0, driver.resultNow(fresh));
    }

    @Test
    void shouldHoldCompletionUntilFixedLatencyHasPassed() {
        useKernel(SimulatedKernel.builder().latency(Latency.fixed(Duration.ofMillis(2))));
        int fd = kernel.open("/lat", RW, 0);
        IoRequest write = driver.submit(request(Op.WRITE, fd, ByteBuffer.allocate(4), 0, 4, 0));
        driver.reap();
        assertFalse(driver.hasResult(write));
        clock.advance(1_999_999);
        driver.reap();
        assertFalse(driver.hasResult(write));
        clock.advance(1);
        assertEquals(4, driver.resultNow(write));
    }

    @Test
    void shouldApplyLatencyOfTheOpcodeOverTheDefault() {
        useKernel(SimulatedKernel.builder().latency(Latency.fixed(100)).latency(Op.NOP, Latency.fixed(1_000)));
        int fd = kernel.open("/op", RW, 0);
        IoRequest nop = driver.enqueued(nop());
        IoRequest fsync = driver.enqueued(request(Op.FSYNC, fd, null, 0, 0, 0));
        driver.ring().flush();
        clock.advance(100);
        assertEquals(0, driver.resultNow(fsync));
        assertFalse(driver.isComplete(nop));
        clock.advance(900);
        assertEquals(0, driver.resultNow(nop));
    }

    @Test
    void shouldDeliverInOrderOfDueTimeWhenLatenciesDiffer() {
        useKernel(SimulatedKernel.builder().latency(Op.NOP, Latency.fixed(500)));
        IoRequest slow = driver.enqueued(nop());
        IoRequest fast = driver.enqueued(timeout(100));
        driver.ring().flush();
        clock.advance(1_000);
        driver.reap();
        assertEquals(List.of(fast, slow), driver.delivered());
        assertEquals(-Errno.ETIME, driver.resultNow(fast));
        assertEquals(0, driver.resultNow(slow));
    }



    @Test
    void shouldReturnFromAwaitWhenDelayedCompletionBecomesDueOnRealClock() {
        SimulatedKernel real = SimulatedKernel.builder().latency(Latency.fixed(Duration.ofMillis(20))).build();
        RingDriver realDriver = new RingDriver(real.openRing(0));
        IoRequest nop = realDriver.submit(nop());
        long start = System.nanoTime();
        realDriver.ring().await(Duration.ofSeconds(10).toNanos());
        long waited = System.nanoTime() - start;
        assertTrue(waited >= Duration.ofMillis(19).toNanos(), "returned early: " + waited);
        assertTrue(waited < Duration.ofSeconds(5).toNanos(), "missed the due time: " + waited);
        assertEquals(0, realDriver.resultNow(nop));
        realDriver.ring().close();
        real.close();
    }



    @Test
    void shouldFailANegativeFileOffsetWithEinval() {
        int fd = kernel.open("/neg", RW, 0);
        assertEquals(-Errno.EINVAL, driver.resultNow(driver.submit(request(Op.WRITE, fd, ByteBuffer.allocate(8), 0, 4, -1))));
    }




    private static IoRequest linked(IoRequest r) {
        r.flags(IoRequest.FLAG_LINK);
        return r;
    }

    private static IoRequest linkTimeout(long nanos) {
        return request(Op.LINK_TIMEOUT, -1, null, 0, 0, nanos);
    }



    @Test
    void shouldDeliverALinkedTimeoutsEtimeBeforeCancellingWhatFollowsIt() {
        IoRequest t = driver.enqueued(linked(timeout(5_000)));
        IoRequest then = driver.enqueued(nop());
        driver.ring().flush();
        driver.reap();
        assertFalse(driver.hasResult(then), "not before the TIMEOUT before it");
        clock.advance(5_000);
        driver.reap();
        assertEquals(List.of(t, then), driver.delivered());
        assertEquals(-Errno.ETIME, driver.resultNow(t));
        assertEquals(-Errno.ECANCELED, driver.resultNow(then));
    }


    @Test
    void shouldRefuseToCloseKernelWhileRingsAreOpen() {
        assertThrows(IllegalStateException.class, kernel::close);
    }
}
