/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * ASYNC_CANCEL, the same on every ring: the cancel names its target as the object, the ring finds
 * the target's slot through the token it stored on it, a token of a slot whose generation moved on
 * finds nothing, and a cancelled request takes nothing from its descriptor.
 */
public abstract class CancelContract extends BackendFixture {
    private static final long LONG_NANOS = TimeUnit.SECONDS.toNanos(30);

    protected CancelContract(BackendKind kind) {
        super(kind);
    }

    @Test
    void shouldCancelATimeoutByReference() {
        IoRequest timeout = driver.submit(timeout());
        assertEquals(0, driver.run(driver.cancelOf(timeout)));
        assertEquals(-Errno.ECANCELED, driver.complete(timeout));
    }

    @Test
    void shouldAnswerACancelOfARequestNeverEnqueuedWithEnoent() {
        IoRequest pending = driver.submit(timeout()); // slot 0 is taken: a stranger's token 0 names it
        assertEquals(-Errno.ENOENT, driver.run(driver.cancelOf(new IoRequest())));
        assertFalse(driver.isComplete(pending), "the request in the slot the stranger's token names goes on");
        assertEquals(0, driver.run(driver.cancelOf(pending)));
        assertEquals(-Errno.ECANCELED, driver.complete(pending));
    }

    @Test
    void shouldNotCancelWhatTookTheSlotOfACompletedTarget() {
        IoRequest done = driver.request(Op.NOP, -1, null, 0, 0, 0);
        assertEquals(0, driver.run(done));
        IoRequest timeout = driver.submit(timeout()); // takes the slot that done's token names
        assertEquals(-Errno.ENOENT, driver.run(driver.cancelOf(done)), "done's token is stale");
        assertFalse(driver.isComplete(timeout), "the timeout in done's old slot goes on");

        done.prepare(Op.TIMEOUT, -1, null, 0, 0, LONG_NANOS);
        driver.submit(done);
        assertEquals(0, driver.run(driver.cancelOf(done)), "the same object, enqueued again, is found by its new token");
        assertEquals(-Errno.ECANCELED, driver.complete(done));
        assertEquals(0, driver.run(driver.cancelOf(timeout)));
        assertEquals(-Errno.ECANCELED, driver.complete(timeout));
    }

    @Test
    void shouldCancelOnlyTheSubmissionInFlightWhenTheCancelWasEnqueued() {
        IoRequest timeout = driver.submit(timeout());
        IoRequest cancel = driver.cancelOf(timeout);
        driver.enqueue(cancel); // not flushed: some rings run a cancel only at flush
        IoRequest later = timeout();
        driver.enqueue(later);
        assertEquals(0, driver.complete(cancel));
        assertEquals(-Errno.ECANCELED, driver.complete(timeout));
        assertFalse(driver.isComplete(later), "enqueued after the cancel: not its target");
        assertEquals(0, driver.run(driver.cancelOf(later)));
        assertEquals(-Errno.ECANCELED, driver.complete(later));
    }

    @Test
    void shouldDeliverACancelledTargetBeforeItsCancel() {
        require(Capability.TARGET_BEFORE_CANCEL);
        IoRequest timeout = driver.submit(timeout());
        IoRequest cancel = driver.cancelOf(timeout);
        assertEquals(0, driver.run(cancel));
        assertEquals(-Errno.ECANCELED, driver.complete(timeout));
        assertEquals(timeout, driver.delivered().get(0), "the target's completion comes first");
    }

    @Test
    void shouldAnswerACancelOfACompletionAlreadyDueWithEnoent() {
        IoRequest done = driver.submit(driver.request(Op.NOP, -1, null, 0, 0, 0));
        driver.ring().await(0);
        assertEquals(-Errno.ENOENT, driver.run(driver.cancelOf(done)));
        assertEquals(0, driver.complete(done));
    }

    @Test
    void shouldCancelAWaitingRecvOnceAndLeaveTheDataForTheNextRecv() {
        int[] pair = connectedPair();
        IoRequest recv = driver.submit(recv(pair[1], 16));
        assertFalse(driver.isComplete(recv), "nothing was sent");
        assertEquals(0, driver.run(driver.cancelOf(recv)));
        assertEquals(-Errno.ECANCELED, driver.complete(recv));
        assertEquals(-Errno.ENOENT, driver.run(driver.cancelOf(recv)), "only once");
        assertEquals(3, send(pair[0], "abc"));
        IoRequest next = recv(pair[1], 16);
        assertEquals(3, driver.run(next), "the cancelled RECV took nothing");
        assertEquals("abc", text(next, 3));
    }

    @Test
    void shouldCancelAWaitingAcceptAndKeepTheListenerUsable() {
        int listener = listener("127.0.0.1", 4);
        IoRequest accept = driver.submit(driver.request(Op.ACCEPT, listener, null, 0, 0, 0));
        assertFalse(driver.isComplete(accept), "nobody connects");
        assertEquals(0, driver.run(driver.cancelOf(accept)));
        assertEquals(-Errno.ECANCELED, driver.complete(accept));
        int client = socket();
        IoRequest again = driver.request(Op.ACCEPT, listener, null, 0, 0, 0);
        IoRequest connect = driver.connect(client, backend.localAddress(listener));
        driver.enqueue(again, connect);
        assertEquals(0, driver.complete(connect));
        track(driver.complete(again));
    }

    private IoRequest timeout() {
        return driver.request(Op.TIMEOUT, -1, null, 0, 0, LONG_NANOS);
    }
}
