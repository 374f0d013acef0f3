/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.DescriptorPool;
import dev.fibril.syscall.sim.SimulatedKernel;
import dev.fibril.syscall.sim.SimulatedRing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The driver's side of a completion: the ring hands the request back, so there is no lookup; the
 * driver delivers a SUBMITTED descriptor of its own pool once, and counts anything else as stale
 * without delivering it (the rings' own generation check leaves none: see their table tests).
 */
class IoDriverCompletionTest {
    private final SimulatedKernel kernel = SimulatedKernel.builder().build();
    private final SimulatedRing ring = kernel.openRing(0);
    private final DescriptorPool pool = new DescriptorPool(2, 2);
    private final CarrierStats stats = new CarrierStats();
    private final IoDriver io = new IoDriver(0, () -> false, ring, pool, IoDriver.newSplicePipes(kernel), stats);
    private final List<Integer> delivered = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        ring.close();
        kernel.close();
    }

    @Test
    void shouldDeliverASubmittedDescriptorOnceAndCountARepeatAsStale() {
        Descriptor d = recording(pool.tryAcquire());
        d.prepare(Op.NOP, -1, null, 0, 0, 0);
        io.submit(d);
        io.flushAndReap();
        assertEquals(List.of(0), delivered);
        assertEquals(Descriptor.DONE, d.state());
        io.onCompletion(d, 5); // as a second completion for the same submission would come
        assertEquals(List.of(0), delivered, "never delivered twice");
        assertEquals(1, stats.staleCompletions());
    }

    @Test
    void shouldCountADescriptorOfAnotherPoolAsStale() {
        DescriptorPool other = new DescriptorPool(1, 1);
        Descriptor foreign = recording(other.tryAcquire());
        foreign.submit();
        io.onCompletion(foreign, 0);
        assertEquals(List.of(), delivered);
        assertEquals(Descriptor.SUBMITTED, foreign.state(), "left to its own carrier");
        assertEquals(1, stats.staleCompletions());
    }

    @Test
    void shouldTakeTheRuntimesOwnRequestsAsNobodysWithoutCountingThem() {
        Descriptor d = recording(pool.tryAcquire());
        d.prepare(Op.TIMEOUT, -1, null, 0, 0, 60_000_000_000L);
        io.submit(d);
        io.flushAndReap();
        io.cancel(d); // a plain ASYNC_CANCEL request naming d by reference
        io.flushAndReap();
        assertEquals(List.of(-dev.fibril.aio.Errno.ECANCELED), delivered);
        IoRequest spare = new IoRequest();
        spare.prepare(Op.LINK_TIMEOUT, -1, null, 0, 0, 0);
        io.onCompletion(spare, 0);
        assertEquals(0, stats.staleCompletions(), "the cancel's completion and a spare timeout's are nobody's");
        assertEquals(0, ring.inFlight());
    }

    private Descriptor recording(Descriptor d) {
        d.notifies(new CompletionListener() {
            @Override
            public void onCompletion(Descriptor descriptor) {
                delivered.add(descriptor.result());
            }

            @Override
            public void onCarrierFailed(Descriptor descriptor) {
                delivered.add(Integer.MIN_VALUE);
            }
        });
        return d;
    }
}
