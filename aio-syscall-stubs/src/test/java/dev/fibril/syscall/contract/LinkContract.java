/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Linked requests as io_uring runs them, for every backend: {@link IoRequest#FLAG_LINK} chains,
 * LINK_TIMEOUT and the cancellation of chain members. io_uring is the reference: a subclass on a
 * kernel with io_uring runs these against the kernel itself, so an emulation that drifts from it
 * fails here.
 */
public abstract class LinkContract extends BackendFixture {
    private static final long LONG_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long SHORT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    protected LinkContract(BackendKind kind) {
        super(kind);
    }

    @Test
    void shouldRunAChainOfSuccessesToItsEnd() {
        IoRequest first = driver.linked(nop());
        IoRequest second = driver.linked(nop());
        IoRequest last = nop();
        driver.enqueue(first, second, last);
        assertEquals(0, driver.complete(last));
        assertEquals(0, driver.complete(first));
        assertEquals(0, driver.complete(second));
    }

    @Test
    void shouldCancelTheRestOfAChainWhoseHeadFailsAndEndTheChainAtTheFirstUnlinkedRequest() {
        IoRequest bad = driver.linked(driver.request(Op.WRITE, 4242, ByteBuffer.allocate(4), 0, 4, 0));
        IoRequest next = driver.linked(nop());
        IoRequest last = nop();
        IoRequest after = nop();
        driver.enqueue(bad, next, last, after);
        assertEquals(-Errno.EBADF, driver.complete(bad));
        assertEquals(-Errno.ECANCELED, driver.complete(next));
        assertEquals(-Errno.ECANCELED, driver.complete(last));
        assertEquals(0, driver.complete(after), "a chain ends at the first request without FLAG_LINK");
    }

    @Test
    void shouldBreakAChainAtARequestRefusedBeforeItRuns() {
        int fd = file("refused", new byte[0]);
        IoRequest bad = driver.linked(driver.request(Op.WRITE, fd, ByteBuffer.allocate(4), 2, 4, 0));
        IoRequest next = nop();
        driver.enqueue(bad, next);
        assertEquals(-Errno.EFAULT, driver.complete(bad), "a region past the buffer's end");
        assertEquals(-Errno.ECANCELED, driver.complete(next));
    }

    @Test
    void shouldEndAChainWithItsSubmissionBatch() {
        IoRequest dangling = driver.linked(driver.request(Op.WRITE, 4242, ByteBuffer.allocate(4), 0, 4, 0));
        assertEquals(-Errno.EBADF, driver.run(dangling));
        assertEquals(0, driver.run(nop()), "the next batch does not follow the last one's FLAG_LINK");
    }

    @Test
    void shouldBreakAChainAfterAShortFileRead() {
        int fd = file("short", new byte[] {1, 2, 3, 4});
        IoRequest read = driver.linked(driver.request(Op.READ, fd, ByteBuffer.allocate(8), 0, 8, 0));
        IoRequest then = nop();
        driver.enqueue(read, then);
        assertEquals(4, driver.complete(read));
        assertEquals(-Errno.ECANCELED, driver.complete(then), "a short READ fails its link");
    }

    @Test
    void shouldGoOnAfterAShortRecv() {
        int[] pair = connectedPair();
        assertEquals(4, send(pair[0], "abcd"));
        IoRequest recv = driver.linked(recv(pair[1], 8));
        IoRequest then = nop();
        driver.enqueue(recv, then);
        assertEquals(4, driver.complete(recv));
        assertEquals("abcd", text(recv, 4));
        assertEquals(0, driver.complete(then), "a RECV without MSG_WAITALL that returns less is a success");
    }

    @Test
    void shouldStartTheSuccessorOfAWaitingRecvOnlyWhenItCompletes() {
        int[] pair = connectedPair();
        IoRequest recv = driver.linked(recv(pair[1], 2));
        IoRequest then = nop();
        driver.enqueue(recv, then);
        assertFalse(driver.isComplete(then), "held behind the RECV, which waits for data");
        assertEquals(2, send(pair[0], "hi"));
        assertEquals(2, driver.complete(recv));
        assertEquals(0, driver.complete(then));
    }

    @Test
    void shouldBreakAChainAtATimeoutsEtime() {
        IoRequest timer = driver.linked(timeout(SHORT_NANOS));
        IoRequest then = nop();
        driver.enqueue(timer, then);
        assertFalse(driver.isComplete(then), "held behind the TIMEOUT");
        assertEquals(-Errno.ETIME, driver.complete(timer));
        assertEquals(-Errno.ECANCELED, driver.complete(then));
    }

    @Test
    void shouldCancelAWaitingRecvAtItsLinkTimeoutAndLeaveTheDataForTheNextRecv() {
        int[] pair = connectedPair();
        IoRequest recv = driver.linked(recv(pair[1], 4));
        IoRequest timer = linkTimeout(SHORT_NANOS);
        driver.enqueue(recv, timer);
        assertEquals(-Errno.ECANCELED, driver.complete(recv));
        assertEquals(-Errno.ETIME, driver.complete(timer));
        assertEquals(4, send(pair[0], "late"));
        IoRequest next = recv(pair[1], 4);
        assertEquals(4, driver.run(next), "the timed-out RECV took nothing");
        assertEquals("late", text(next, 4));
    }

    @Test
    void shouldCancelTheLinkTimeoutOfATargetThatCompletesInTime() {
        int[] pair = connectedPair();
        IoRequest recv = driver.linked(recv(pair[1], 2));
        IoRequest timer = linkTimeout(LONG_NANOS);
        driver.enqueue(recv, timer);
        assertFalse(driver.isComplete(recv), "waits for data");
        assertEquals(2, send(pair[0], "ok"));
        assertEquals(2, driver.complete(recv));
        assertEquals(-Errno.ECANCELED, driver.complete(timer));
    }

    @Test
    void shouldCancelTheLinkTimeoutOfATargetThatRanAtOnceAndGoOnAfterIt() {
        int[] pair = connectedPair();
        assertEquals(2, send(pair[0], "yo"));
        IoRequest recv = driver.linked(recv(pair[1], 2));
        IoRequest timer = driver.linked(linkTimeout(LONG_NANOS));
        IoRequest after = nop();
        driver.enqueue(recv, timer, after);
        assertEquals(2, driver.complete(recv));
        assertEquals(-Errno.ECANCELED, driver.complete(timer));
        assertEquals(0, driver.complete(after), "the chain goes on after a timeout that did not fire");
    }

    @Test
    void shouldRefuseALinkTimeoutWithoutALinkedRequestBeforeIt() {
        assertEquals(-Errno.EINVAL, driver.run(linkTimeout(LONG_NANOS)));
    }

    @Test
    void shouldArmTheLinkTimeoutOfAHeldRequestOnlyWhenItStarts() {
        int[] pair = connectedPair();
        IoRequest first = driver.linked(recv(pair[1], 1));
        IoRequest second = driver.linked(recv(pair[1], 1));
        IoRequest timer = linkTimeout(SHORT_NANOS);
        driver.enqueue(first, second, timer);
        assertFalse(driver.isComplete(first));
        assertEquals(1, send(pair[0], "x"));
        assertEquals(1, driver.complete(first));
        assertEquals(-Errno.ECANCELED, driver.complete(second), "started after the first, then timed out");
        assertEquals(-Errno.ETIME, driver.complete(timer));
    }

    @Test
    void shouldCancelTheWholeChainWhenItsWaitingHeadIsCancelled() {
        int[] pair = connectedPair();
        IoRequest waiting = driver.linked(recv(pair[1], 8));
        IoRequest behind = driver.linked(nop());
        IoRequest last = nop();
        driver.enqueue(waiting, behind, last);
        assertFalse(driver.isComplete(waiting));
        assertEquals(0, driver.run(driver.cancelOf(waiting)));
        assertEquals(-Errno.ECANCELED, driver.complete(waiting));
        assertEquals(-Errno.ECANCELED, driver.complete(behind));
        assertEquals(-Errno.ECANCELED, driver.complete(last));
    }

    @Test
    void shouldNotFindALinkTimeoutToCancelItStaysWithItsTarget() {
        int[] pair = connectedPair();
        IoRequest recv = driver.linked(recv(pair[1], 1));
        IoRequest timer = linkTimeout(SHORT_NANOS);
        driver.enqueue(recv, timer);
        assertFalse(driver.isComplete(recv));
        assertEquals(-Errno.ENOENT, driver.run(driver.cancelOf(timer)), "io_uring cancels a linked timeout only with its target");
        assertEquals(-Errno.ECANCELED, driver.complete(recv));
        assertEquals(-Errno.ETIME, driver.complete(timer));
    }

    @Test
    void shouldNotFindAChainMemberHeldBehindItsPredecessorToCancel() {
        int[] pair = connectedPair();
        IoRequest waiting = driver.linked(recv(pair[1], 1));
        IoRequest held = recv(pair[1], 1);
        driver.enqueue(waiting, held);
        assertFalse(driver.isComplete(waiting));
        int cancelled = driver.run(driver.cancelOf(held));
        assertEquals(2, send(pair[0], "ab"));
        assertEquals(1, driver.complete(waiting));
        assertEquals(-Errno.ENOENT, cancelled, "a held request is not in flight yet");
        assertEquals(1, driver.complete(held));
    }
}
