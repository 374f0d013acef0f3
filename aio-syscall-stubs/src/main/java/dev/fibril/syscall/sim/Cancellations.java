/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.util.function.LongSupplier;

/**
 * What cancels requests of one {@link SimulatedRing} before they are due: ASYNC_CANCEL, and the
 * close of an fd (any thread offers the fd; the owner cancels the completions held back for it).
 *
 * <p>ASYNC_CANCEL goes by reference: {@link RequestSlots} says where the target is, and the cancel
 * acts there, with no search. A target waiting on a socket is taken off it (its socket's lock
 * decides against a completion racing in); a completion not yet due, in the heap or held by a
 * REORDER fault, is replaced by {@code -ECANCELED} due now (a cancelled ACCEPT's new fd is closed).
 * Anything else (due already, queued behind the cancel, completed, and, as in io_uring, a link
 * timeout or a chain member held behind its predecessor) gives {@code -ENOENT}; an OPENAT, SOCKET
 * or CLOSE not yet due gives {@code -EALREADY} and completes as it ran.
 *
 * <p>Owner thread only, but for {@link #descriptorClosed}.
 */
final class Cancellations {
    private final SimulatedRing ring;
    private final SimulatedKernel kernel;
    private final LongSupplier clock;
    private final RequestSlots slots;
    private final PendingOpTable pending;
    private final CompletionHeap completions;
    private final HeldCompletions held;
    private final MpscClosedDescriptorQueue closedDescriptors = new MpscClosedDescriptorQueue();

    Cancellations(SimulatedRing ring, SimulatedKernel kernel, LongSupplier clock, RequestSlots slots, PendingOpTable pending,
                  CompletionHeap completions, HeldCompletions held) {
        this.ring = ring;
        this.kernel = kernel;
        this.clock = clock;
        this.slots = slots;
        this.pending = pending;
        this.completions = completions;
        this.held = held;
    }

    /** ASYNC_CANCEL {@code cancel}, run now: 0 when its target was cancelled, else -ENOENT. */
    int asyncCancel(IoRequest cancel, long now) {
        ring.drainPosted(); // a completion a socket posted goes first: the target may be DUE now
        int slot = slots.cancelTargetOf(cancel);
        if (slot < 0) {
            return -Errno.ENOENT;
        }
        int at = slots.at(slot);
        switch (slots.where(slot)) {
            case RequestSlots.WAITING -> {
                if (!pending.cancel(at, slots.token(slot))) {
                    return -Errno.ENOENT; // completed by its socket meanwhile: that result stands
                }
                // The target posted its -ECANCELED to this ring; move it into the heap ahead of the cancel's own completion.
                ring.drainPosted();
            }
            case RequestSlots.DUE -> {
                if (completions.dueAt(at) <= now) {
                    return -Errno.ENOENT;
                }
                if (runsToItsEnd(completions.opcodeAt(at))) {
                    return -Errno.EALREADY;
                }
                cancelUndelivered(at, now);
            }
            case RequestSlots.HELD -> {
                if (held.due[at] <= now) {
                    return -Errno.ENOENT;
                }
                if (runsToItsEnd(held.opcode[at])) {
                    return -Errno.EALREADY;
                }
                if (held.opcode[at] == Op.ACCEPT && held.result[at] >= 0) {
                    kernel.close(held.result[at]);
                }
                held.due[at] = now;
                held.result[at] = -Errno.ECANCELED;
            }
            default -> {
                return -Errno.ENOENT;
            }
        }
        return 0;
    }

    /**
     * OPENAT, SOCKET and CLOSE, once run, complete with what they did, as io_uring's do (they run
     * in a kernel worker that a cancel does not stop): a cancel gets {@code -EALREADY}, and the new
     * fd reaches the caller, who must close it.
     */
    private static boolean runsToItsEnd(byte opcode) {
        return opcode == Op.OPENAT || opcode == Op.SOCKET || opcode == Op.CLOSE;
    }

    /** Any thread: {@code descriptor} was closed; completions held back for it are to complete with -ECANCELED. */
    void descriptorClosed(Descriptor descriptor) {
        closedDescriptors.offer(descriptor);
    }

    /** Cancels the completions still held back by latency for descriptors closed since the last call. */
    void forClosedDescriptors() {
        if (closedDescriptors.isEmpty()) {
            return;
        }
        long now = clock.getAsLong();
        for (Descriptor closed : closedDescriptors.take()) {
            for (int i = completions.indexOfUndelivered(closed, now, 0); i >= 0; i = completions.indexOfUndelivered(closed, now, i + 1)) {
                cancelUndelivered(i, now);
            }
        }
    }

    /** Completes the undelivered completion at heap index {@code i} with -ECANCELED now; a cancelled ACCEPT's new fd is closed. */
    private void cancelUndelivered(int i, long now) {
        int old = completions.resultAt(i);
        if (completions.opcodeAt(i) == Op.ACCEPT && old >= 0) {
            kernel.close(old);
        }
        completions.expedite(i, now, -Errno.ECANCELED);
    }
}
