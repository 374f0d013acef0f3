/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The descriptor's transition table: the edges it draws are allowed, every other one throws. */
class DescriptorTest {

    @Test
    void shouldMoveAlongTheDrawnEdges() {
        DescriptorPool pool = new DescriptorPool(1, 1);
        Descriptor d = pool.tryAcquire();
        assertEquals(Descriptor.TAKEN, d.state());
        d.submit();
        assertEquals(Descriptor.SUBMITTED, d.state());
        d.resubmit();
        assertEquals(Descriptor.SUBMITTED, d.state());
        d.complete(7);
        assertEquals(Descriptor.DONE, d.state());
        assertEquals(7, d.result());
        d.retake();
        assertEquals(Descriptor.TAKEN, d.state());
        d.retake();
        assertEquals(Descriptor.TAKEN, d.state(), "a TAKEN descriptor stays TAKEN");
        pool.release(d);
        assertEquals(Descriptor.FREE, d.state());
    }

    @Test
    void shouldRefuseEdgesTheTableDoesNotDraw() {
        DescriptorPool pool = new DescriptorPool(1, 1);
        Descriptor d = pool.tryAcquire();
        assertThrows(IllegalStateException.class, () -> d.complete(0), "TAKEN -> DONE");
        assertThrows(IllegalStateException.class, d::resubmit, "TAKEN -> SUBMITTED again");
        assertThrows(IllegalStateException.class, d::markCancelRequested, "a cancel of nothing in flight");
        d.submit();
        assertThrows(IllegalStateException.class, d::submit, "SUBMITTED twice");
        assertThrows(IllegalStateException.class, d::retake, "SUBMITTED -> TAKEN");
        d.markCancelRequested();
        assertThrows(IllegalStateException.class, d::resubmit, "a cancelled request does not go again");
        d.complete(0);
        assertThrows(IllegalStateException.class, () -> d.complete(0), "a second completion");
        pool.release(d);
        assertThrows(IllegalStateException.class, d::submit, "FREE -> SUBMITTED");
        assertThrows(IllegalStateException.class, () -> pool.release(d), "released twice");
    }

    @Test
    void shouldTellItsListenerOnceOnCompletion() {
        DescriptorPool pool = new DescriptorPool(1, 1);
        Descriptor d = pool.tryAcquire();
        List<String> told = new ArrayList<>();
        d.notifies(new CompletionListener() {
            @Override
            public void onCompletion(Descriptor descriptor) {
                told.add("completed " + descriptor.result());
            }

            @Override
            public void onCarrierFailed(Descriptor descriptor) {
                told.add("failed");
            }
        });
        d.submit();
        d.carrierFailed();
        d.complete(3);
        assertEquals(List.of("failed", "completed 3"), told);
    }

    @Test
    void shouldWaitForAFibrilOrAListenerNeverBoth() {
        DescriptorPool pool = new DescriptorPool(1, 1);
        Descriptor d = pool.tryAcquire();
        CompletionListener l = pool.releaser();
        d.notifies(l);
        assertSame(l, d.listener());
        d.awaitedBy(Thread.currentThread());
        assertNull(d.listener(), "a parked fibril replaces the listener");
        d.submit();
        d.complete(0); // the waiter is the current thread: nothing to unpark
        assertEquals(Descriptor.DONE, d.state());
    }

    @Test
    void shouldGiveAnAbandonedDescriptorBackOnItsCompletion() {
        DescriptorPool pool = new DescriptorPool(1, 1);
        Descriptor d = pool.tryAcquire();
        d.submit();
        d.releaseOnCompletion();
        d.carrierFailed(); // nothing waits: nothing happens
        assertEquals(1, pool.inUse());
        d.complete(0);
        assertEquals(0, pool.inUse(), "released by its completion");
        assertEquals(Descriptor.FREE, d.state());
    }
}
