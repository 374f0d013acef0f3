/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.Descriptor;

import java.util.Arrays;

/**
 * The requests that a carrier's {@link IoDriver} makes again after a transient error (EINTR, or
 * an EAGAIN that the caller did not ask for), never seen by their callers: queued by index during
 * a reap (the descriptor stays SUBMITTED meanwhile, so it is neither released nor lost to a
 * cancel), submitted again after it. The owner of the carrier only (see {@link Ownership}).
 */
final class IoRetries {
    private int[] indices = new int[64];
    private int count;

    /**
     * Whether {@code result} is a transient error for {@code d}'s request. EAGAIN is what a
     * non-blocking send asked for: its caller gets it, it never goes again. Nor does a CLOSE:
     * close(2) has released the fd whatever it reports.
     */
    static boolean isTransient(Descriptor d, int result) {
        return d.opcode() != Op.CLOSE && (result == -Errno.EINTR
                || (result == -Errno.EAGAIN && !(d.opcode() == Op.SEND && (d.opFlags() & IoRequest.SEND_DONTWAIT) != 0)));
    }

    /** Queues {@code d} to go again after this reap. */
    void add(Descriptor d) {
        if (count == indices.length) {
            indices = Arrays.copyOf(indices, count * 2);
        }
        indices[count++] = d.index();
    }

    /**
     * Submits the queued requests again through {@code io}. One that carried a LINK_TIMEOUT goes
     * again as a pair with the time left (alone it would keep FLAG_LINK without its timeout, and
     * the next unrelated SQE would join its chain); a chain head without one goes alone, unlinked
     * (its successor was already failed by the kernel when the link broke). A cancel asked for
     * while it waited here, a carrier stopping or failed, or a deadline past ends it with
     * -ECANCELED instead.
     */
    void resubmitAll(IoDriver io) {
        while (count > 0) {
            // popped one at a time: a reap inside enqueue (full SQ) may push more meanwhile
            Descriptor d = io.pool().byIndex(indices[--count]);
            if (d.isCancelRequested() || !io.mayRetry()) {
                io.deliver(d, -Errno.ECANCELED);
                continue;
            }
            long deadline = d.timeoutDeadline();
            if (deadline == 0) {
                io.resubmitAlone(d);
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                io.deliver(d, -Errno.ECANCELED);
            } else {
                io.resubmitWithTimeout(d, left);
            }
        }
    }
}
