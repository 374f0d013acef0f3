/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The simulated ring's one identity check: a stale token finds nothing, and is counted. */
class RequestSlotsTest {

    @Test
    void shouldNeverDeliverACompletionOfAnOldGeneration() {
        RequestSlots slots = new RequestSlots(4);
        IoRequest first = nop();
        long stale = slots.acquire(first);
        assertSame(first, slots.complete(stale));
        IoRequest second = nop();
        long token = slots.acquire(second);
        assertEquals((int) stale, (int) token, "the freed slot is taken again");
        assertNull(slots.complete(stale), "a completion of the old generation is stale");
        assertEquals(1, slots.staleCompletions());
        assertSame(second, slots.complete(token));
        assertNull(slots.complete(token), "and once delivered, the token is stale too");
        assertEquals(2, slots.staleCompletions());
        assertEquals(0, slots.live());
    }

    @Test
    void shouldCancelOnlyTheSubmissionInFlightWhenTheCancelWasEnqueued() {
        RequestSlots slots = new RequestSlots(4);
        IoRequest target = nop();
        long first = slots.acquire(target);
        IoRequest cancel = new IoRequest();
        cancel.prepareCancel(target);
        slots.acquire(cancel);
        assertEquals((int) first, slots.cancelTargetOf(cancel));
        slots.complete(first); // the target completed before the cancel ran
        slots.acquire(target); // and went again
        assertEquals(-1, slots.cancelTargetOf(cancel), "the cancel was for the earlier submission");

        IoRequest stranger = new IoRequest();
        IoRequest cancelStranger = new IoRequest();
        cancelStranger.prepareCancel(stranger);
        slots.acquire(cancelStranger);
        assertEquals(-1, slots.cancelTargetOf(cancelStranger), "never enqueued here");
    }

    @Test
    void shouldGrowAndKeepEveryTokenValid() {
        RequestSlots slots = new RequestSlots(1);
        IoRequest[] requests = new IoRequest[10];
        long[] tokens = new long[10];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = nop();
            tokens[i] = slots.acquire(requests[i]);
        }
        assertEquals(10, slots.live());
        for (int i = requests.length - 1; i >= 0; i--) {
            assertSame(requests[i], slots.complete(tokens[i]));
        }
        assertEquals(0, slots.staleCompletions());
    }

    private static IoRequest nop() {
        IoRequest r = new IoRequest();
        r.prepare(Op.NOP, -1, null, 0, 0, 0);
        return r;
    }
}
