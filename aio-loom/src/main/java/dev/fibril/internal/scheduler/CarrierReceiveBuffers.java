/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.internal.io.ReceiveBuffers;

/**
 * Where a carrier keeps the buffers that {@code receive()} lends: made by the owner on the first
 * receive and offered to its ring, read by other threads (gauges, readers that give a buffer back
 * from another thread) through a volatile view. A buffer given back from another thread reaches
 * the owner through a preallocated command, so a fibril waiting for one is woken at once.
 */
final class CarrierReceiveBuffers {
    private final Carrier carrier;
    /** The owner's (inside a section, or the loop). */
    private ReceiveBuffers buffers;
    private volatile ReceiveBuffers view;
    /** A preallocated command: the owner gives back what other threads returned (wakes buffer waiters). */
    private final CarrierCommand drainReturns = () -> {
        ReceiveBuffers b = buffers;
        if (b != null) {
            b.drainReturns();
        }
    };

    CarrierReceiveBuffers(Carrier carrier) {
        this.carrier = carrier;
    }

    /** Owner: the buffers, made and offered to the ring on first use. */
    ReceiveBuffers get() {
        ReceiveBuffers b = buffers;
        if (b == null) {
            CarrierGroup group = carrier.group();
            b = new ReceiveBuffers(group.receiveBufferCount(), group.receiveBufferSize());
            b.ensureReady(carrier.ring());
            view = b;
            buffers = b;
        }
        return b;
    }

    /** Any thread: the buffers, or null before the first receive. */
    ReceiveBuffers ifMade() {
        return view;
    }

    /** Any thread: buffer {@code id} comes back from a reader on another thread. */
    void giveBack(int id) {
        if (view.returnFromAnyThread(id)) {
            carrier.submitCommand(drainReturns); // a fibril waits for it: do not leave it to the next iteration
        }
    }
}
