/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.PoolWaiter;

import java.nio.channels.ClosedChannelException;

/**
 * The carrier's side of a {@link ForeignRequest}: the command the caller offers to the carrier,
 * which copies the caller's template into a pooled descriptor, submits it, and hands the result
 * back through the phase. Its fields are written by the carrier before the phase that publishes
 * them (and the caller's, before it queues the command).
 *
 * <p>On the carrier: QUEUED -> STARTED when it takes the command (a descriptor now, or queued
 * for one); QUEUED -> ABANDONED when it terminated first, or refused new requests (stopping past
 * its deadline, failed), and the caller throws RuntimeClosedException; STARTED -> ABANDONED when
 * it waited for a descriptor and the carrier terminated or failed; STARTED -> DONE when the
 * completion is reaped; STARTED -> FAILED when submitted and the ring failed: nothing will
 * complete it, the caller throws CarrierFailedException and keeps no claim on the buffer.
 *
 * A submitted request is finished only by its own completion, never by a deadline: until then
 * the kernel may write the caller's buffer.
 */
final class ForeignCommand implements CarrierCommand, CompletionListener, PoolWaiter {
    private final Carrier carrier;
    private final IoRequest template;
    private final ForeignPhase phase;
    private volatile boolean cancelRequested;
    private volatile int result;
    private Descriptor descriptor; // carrier thread only
    private CloseSignal closing = CloseSignal.NEVER;
    private long timeoutNanos;
    /** Why the call was refused or failed; written before the phase that publishes it. */
    private ClosedChannelException refusal;

    ForeignCommand(Carrier carrier, IoRequest template, ForeignPhase phase) {
        this.carrier = carrier;
        this.template = template;
        this.phase = phase;
    }

    /** Caller thread, before it queues the command: what this call waits for and who may cancel it. */
    void arm(long timeoutNanos, CloseSignal closing) {
        this.closing = closing;
        this.timeoutNanos = timeoutNanos;
        cancelRequested = false;
    }

    /** Caller thread, interrupted: the next run of this command cancels. */
    void requestCancel() {
        cancelRequested = true;
    }

    /** Caller thread, once the phase is DONE. */
    int result() {
        return result;
    }

    /** Caller thread, once the phase is ABANDONED or FAILED: why, or null. */
    ClosedChannelException refusal() {
        return refusal;
    }

    /** Carrier thread: start the request, or cancel it if it already started. */
    @Override
    public void run() {
        if (phase.get() == ForeignPhase.STARTED) {
            if (cancelRequested && descriptor != null) {
                carrier.io().cancel(descriptor);
            } else if (cancelRequested && carrier.pool().cancelWait(this)) {
                finish(-Errno.ECANCELED);
            }
            return;
        }
        if (!phase.start()) {
            return; // abandoned, or a stale cancel command
        }
        try {
            carrier.checkAcceptingRequests();
        } catch (ClosedChannelException refused) {
            refuse(refused);
            return;
        }
        Descriptor d = carrier.pool().tryAcquire();
        if (d == null) {
            carrier.pool().await(this);
            return;
        }
        onGranted(d);
    }

    @Override
    public void onGranted(Descriptor d) {
        descriptor = d;
        d.copyFrom(template);
        d.notifies(this);
        d.channel(closing);
        IoDriver io = carrier.io();
        if (timeoutNanos > 0) {
            io.submitWithTimeout(d, timeoutNanos);
        } else {
            io.submit(d);
        }
        if (cancelRequested || closing.isClosed()) {
            io.cancel(d);
        }
    }

    @Override
    public void onCompletion(Descriptor d) {
        int r = d.result();
        template.size(d.size()); // a STATX's size; published to the caller with the result by the phase's end
        descriptor = null;
        carrier.pool().release(d);
        finish(r);
    }

    /** Carrier thread, terminating: the command never ran. */
    @Override
    public void abandon() {
        phase.abandonQueued();
    }

    /** Carrier thread: the ring failed with this request submitted; its descriptor stays with the kernel. */
    @Override
    public void onCarrierFailed(Descriptor d) {
        descriptor = null;
        refusal = carrier.failedException();
        phase.end(ForeignPhase.FAILED);
    }

    /** Carrier thread: the pool will not grant this waiter a descriptor (terminating, failed). */
    @Override
    public void onRefused() {
        refuse(carrier.failure() == null ? null : carrier.failedException());
    }

    private void refuse(ClosedChannelException why) {
        refusal = why;
        phase.end(ForeignPhase.ABANDONED);
    }

    private void finish(int r) {
        result = r;
        phase.end(ForeignPhase.DONE);
    }
}
