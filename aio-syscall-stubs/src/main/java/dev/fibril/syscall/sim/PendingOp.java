/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.nio.ByteBuffer;

/**
 * A socket op that could not complete at flush time and waits on a connection or listener: the
 * kernel's copy of the request, pooled per ring (see {@link PendingOpTable}), so waiting allocates
 * nothing in steady state.
 *
 * <pre>
 *  FREE -> WAITING   the owner took it from the pool and queued it on a Waitable, under its lock
 *  WAITING -> POSTED any thread completed it, under the Waitable's lock, and posted its slot to
 *                    the owning ring's MpscCompletionQueue
 *  POSTED -> FREE    the owner drained the slot into its completion heap and returned it to the pool
 * </pre>
 *
 * A Waitable's lock decides between a completion and a cancel (close, ASYNC_CANCEL, ring close):
 * whichever takes the op out of the wait queue first completes it, so it completes once.
 */
final class PendingOp {
    final SimulatedRing ring;
    final int slot;

    // Owner-thread fields, written before the op is queued under a Waitable's lock (which
    // publishes them to the thread that completes it).
    boolean inUse;
    /** Its request's token ({@link RequestSlots}). */
    long token;
    byte opcode;
    Descriptor descriptor;
    ByteBuffer buffer;
    int position;
    int length;
    /** A POLL_ADD's events (poll(2) bits); 0 for other ops. */
    int events;
    long delayNanos;
    Waitable waitable;
    int side;
    /** The {@link dev.fibril.syscall.link.LinkChains} slot of the chain member this op is, or {@link dev.fibril.syscall.link.LinkChains#NONE}. */
    int link = dev.fibril.syscall.link.LinkChains.NONE;
    /** Its completion is not due before this: its chain predecessor's due time. */
    long notBefore = Long.MIN_VALUE;

    // Guarded by the Waitable's monitor; read by the owner after draining the slot, which the
    // MpscCompletionQueue's lock orders after the write.
    boolean waiting;
    int result;
    long completedAt;

    PendingOp(SimulatedRing ring, int slot) {
        this.ring = ring;
        this.slot = slot;
    }

    void prepare(long token, byte opcode, Descriptor descriptor, ByteBuffer buffer, int position, int length, long delayNanos) {
        this.token = token;
        this.opcode = opcode;
        this.descriptor = descriptor;
        this.buffer = buffer;
        this.position = position;
        this.length = length;
        this.delayNanos = delayNanos;
        this.events = 0;
    }

    /** Owner thread, under {@code waitable}'s lock, before the op joins its wait queue. */
    void await(Waitable waitable, int side) {
        this.waitable = waitable;
        this.side = side;
        this.waiting = true;
    }

    /** Any thread, under the Waitable's lock, after taking the op out of its wait queue. The op must not be touched afterwards. */
    void complete(int result) {
        this.waiting = false;
        this.result = result;
        this.completedAt = ring.now();
        ring.post(slot);
    }

    void clear() {
        inUse = false;
        link = dev.fibril.syscall.link.LinkChains.NONE;
        notBefore = Long.MIN_VALUE;
        descriptor = null;
        buffer = null;
        waitable = null;
    }
}
