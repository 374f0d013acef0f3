/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.lang.foreign.MemorySegment;

import static dev.fibril.syscall.uring.IoUringConstants.IORING_CQE_F_MORE;
import static dev.fibril.syscall.uring.IoUringConstants.IORING_SQ_CQ_OVERFLOW;
import static dev.fibril.syscall.uring.IoUringConstants.IORING_SQ_TASKRUN;

/**
 * Reaps a ring's CQ: reads the tail once, hands each CQE's request (its slot's; a stale generation
 * finds none) to the sink, and publishes the new head. Owner thread only.
 *
 * <p>No completion is lost: rings are set up where the kernel has IORING_FEAT_NODROP (5.5), which
 * keeps the CQEs that find the CQ full on an overflow list and sets IORING_SQ_CQ_OVERFLOW; task
 * work (COOP_TASKRUN, DEFER_TASKRUN) sets IORING_SQ_TASKRUN while it waits to post CQEs. When the
 * CQ is empty and either flag is up, one GETEVENTS enter moves them into the CQ, and they are
 * reaped like the rest.
 */
final class RingReaper {
    private final int carrierIndex;
    private final SubmissionQueue sq;
    private final CompletionQueue cq;
    private final InFlightTable table;
    private final RequestCodec codec;
    private final RingEnter enter;
    private final RingWakeup wakeup;
    private final MemorySegment callState;

    long staleCompletions;
    long decodeFailures;
    /** GETEVENTS enters made because the kernel held completions back. */
    long overflowFlushes;
    /** Flushes made because the kernel had set IORING_SQ_CQ_OVERFLOW: it held completions back for a full CQ. */
    long cqOverflows;

    RingReaper(int carrierIndex, SubmissionQueue sq, CompletionQueue cq, InFlightTable table, RequestCodec codec,
               RingEnter enter, RingWakeup wakeup, MemorySegment callState) {
        this.carrierIndex = carrierIndex;
        this.sq = sq;
        this.cq = cq;
        this.table = table;
        this.codec = codec;
        this.enter = enter;
        this.wakeup = wakeup;
        this.callState = callState;
    }

    /**
     * Frees the slot of a delivered completion, unless the kernel has more for it: a multishot
     * ACCEPT stays as it is, a SEND_ZC waits for its notification without its request.
     */
    private void release(int slot, boolean more) {
        if (!more) {
            table.release(slot);
        } else if (table.opcode(slot) == Op.SEND) {
            table.markNotif(slot);
        }
    }

    /** Delivers up to {@code max} CQEs to {@code sink}; when {@code draining}, their buffers are abandoned. */
    int reap(CompletionSink sink, int max, boolean draining) {
        int head = cq.head();
        int tail = cq.lvTail();
        int sqFlags;
        if (head == tail && ((sqFlags = sq.lvFlags()) & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0) {
            // Completions wait in the kernel (overflow list, or task work): only a GETEVENTS enter
            // moves them into the CQ.
            overflowFlushes++;
            if ((sqFlags & IORING_SQ_CQ_OVERFLOW) != 0) {
                cqOverflows++;
            }
            enter.flushCompletions();
            tail = cq.lvTail();
        }
        int delivered = 0;
        try {
            while (head != tail && delivered < max) {
                long sqeUserData = cq.userData(head);
                int res = cq.res(head);
                int flags = cq.flags(head);
                head++;
                if (sqeUserData < 0) {
                    if (sqeUserData == RingWakeup.USER_DATA) {
                        wakeup.onCompletion();
                    }
                    continue;
                }
                int slot = table.slotOf(sqeUserData);
                if (slot < 0) {
                    staleCompletions++;
                    continue;
                }
                // Published before the sink runs: a sink may submit, and a submission that finds
                // the SQ full reaps again, which must start after this CQE, not at it.
                cq.soHead(head);
                if (table.state(slot) == InFlightTable.NOTIF) {
                    // the second CQE of a SEND_ZC (F_NOTIF; no other CQE names a slot in NOTIF):
                    // its result went out already, only the bounce buffer comes back
                    try {
                        codec.onNotification(slot);
                    } finally {
                        table.release(slot);
                    }
                    continue;
                }
                IoRequest request = table.request(slot);
                // F_MORE: a multishot ACCEPT or RECV goes on, or a SEND_ZC's notification follows
                boolean more = (flags & IORING_CQE_F_MORE) != 0;
                boolean multishot = more && (table.opcode(slot) == Op.ACCEPT || table.opcode(slot) == Op.RECV);
                int result;
                try {
                    result = codec.decode(slot, res, flags);
                    if (draining) {
                        codec.abandon(slot, result, callState); // nobody will get it
                    }
                } catch (RuntimeException e) {
                    // The CQE is consumed either way: its request must still complete, exactly once.
                    decodeFailures++;
                    System.getLogger("dev.fibril").log(System.Logger.Level.ERROR,
                            "io_uring ring " + carrierIndex + ": decoding a completion failed; it completes with EIO", e);
                    result = res < 0 ? res : -dev.fibril.aio.Errno.EIO;
                } finally {
                    release(slot, more);
                }
                request.more(multishot);
                delivered++;
                sink.onCompletion(request, result);
            }
        } finally {
            // Also when the sink throws: the CQEs before it were delivered and must not come again.
            cq.soHead(head);
        }
        return delivered;
    }
}
