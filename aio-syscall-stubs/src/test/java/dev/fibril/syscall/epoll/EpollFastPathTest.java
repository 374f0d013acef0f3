/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.contract.BackendFixture;
import dev.fibril.syscall.contract.BackendKind;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The epoll ring's fast path, counted: a RECV whose data waits completes in the flush, with one recv(2) and no select. */
class EpollFastPathTest extends BackendFixture {
    EpollFastPathTest() {
        super(BackendKind.EPOLL);
    }

    @Test
    void shouldCompleteARecvWithWaitingDataInTheSameFlushWithoutSelect() {
        EpollRing ring = (EpollRing) this.ring;
        int[] pair = connectedPair();
        assertEquals(4, send(pair[0], "fast"));
        long selects = ring.selects();
        long fast = ring.fastPathCompletions();
        long parked = ring.parkedRequests();
        long calls = ring.kernelCalls();
        long systemCalls = ring.systemCalls();
        IoRequest recv = driver.request(Op.RECV, pair[1], ByteBuffer.allocate(8), 0, 8, 0);
        driver.enqueue(recv);
        ring.flush();
        int[] result = {Integer.MIN_VALUE};
        assertEquals(1, ring.reap((request, res) -> result[0] = res, 8), "completed during the flush");
        assertEquals(4, result[0]);
        assertEquals(systemCalls + 1, ring.systemCalls(), "one recv(2)");
        assertEquals(selects, ring.selects(), "no select");
        assertEquals(parked, ring.parkedRequests(), "never parked");
        assertEquals(fast + 1, ring.fastPathCompletions());
        assertEquals(calls + 1, ring.kernelCalls(), "the flush's one call");
    }
}
