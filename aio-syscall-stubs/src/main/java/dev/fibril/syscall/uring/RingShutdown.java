/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static dev.fibril.syscall.uring.IoUringConstants.IORING_ASYNC_CANCEL_ALL;
import static dev.fibril.syscall.uring.IoUringConstants.IORING_ASYNC_CANCEL_ANY;

/**
 * How a ring closes. {@link IoUringRing#close()} is meant for a ring with nothing in flight (the
 * runtime cancels and reaps first). Whatever is still in flight then is cancelled
 * (IORING_ASYNC_CANCEL_ANY) and reaped without being delivered, for up to {@link #DRAIN_NANOS};
 * if the kernel still holds requests after that, the ring's native memory is leaked on purpose
 * rather than freed under a request the kernel may still complete into. Owner thread only.
 */
final class RingShutdown {
    static final long DRAIN_NANOS = 2_000_000_000L;
    /** user_data of the cancel-everything request. */
    static final long CANCEL_ALL_USER_DATA = -2L;
    private static final CompletionSink DISCARD = (request, result) -> { };

    /** Rings closed with requests still in the kernel; never emptied. */
    private static final Queue<IoUringRing> LEAKED = new ConcurrentLinkedQueue<>();

    private RingShutdown() {
    }

    /**
     * Closes the gate to foreign callers, drains, unmaps, closes the fds, and frees the arena
     * unless the kernel may still write into it. {@code started}: the ring was enabled, so it may
     * hold requests (a disabled ring holds none and cannot be entered). Returns whether it drained
     * (the ring's other native memory may then be freed too).
     */
    static boolean close(IoUringRing ring, boolean started, RingMapping mapping, RingWakeup wakeup, SubmissionQueue sq,
                         InFlightTable table, RingReaper reaper, RingEnter enter, Arena arena, BounceBufferPool bounce,
                         MemorySegment callState) {
        wakeup.closeGate();
        while (table.hasLocal()) {
            table.release(table.pollLocal());
        }
        boolean drained = !started || drain(wakeup, sq, table, reaper, enter);
        mapping.close(callState);
        Libc.close(callState, wakeup.eventFd);
        if (drained) {
            bounce.freeBursts();
            table.freeScratch();
            arena.close();
        } else {
            // The kernel may still complete into this ring's buffers, the bounce buffers of a
            // burst included (native memory nothing frees then): keep them reachable.
            LEAKED.add(ring);
        }
        return drained;
    }

    /** Cancels all that is in the kernel and reaps it undelivered; true when nothing is left there. */
    private static boolean drain(RingWakeup wakeup, SubmissionQueue sq, InFlightTable table, RingReaper reaper,
                                 RingEnter enter) {
        if (table.live() == 0 && !wakeup.armed) {
            return true;
        }
        enter.submit(sq.publish()); // whatever was enqueued goes in first, so the cancel sees it
        sq.claim(Op.ASYNC_CANCEL, -1, CANCEL_ALL_USER_DATA).opFlags(IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
        enter.submit(sq.publish());
        long deadline = System.nanoTime() + DRAIN_NANOS;
        while (table.live() > 0 || wakeup.armed) {
            reaper.reap(DISCARD, Integer.MAX_VALUE, true);
            long left = deadline - System.nanoTime();
            if ((table.live() == 0 && !wakeup.armed) || left <= 0) {
                break;
            }
            enter.submitAndWait(0, left);
        }
        return table.live() == 0 && !wakeup.armed;
    }
}
