/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.IoRequest;

import java.nio.channels.ClosedChannelException;

/**
 * A request made by a thread that is not a fibril of the carrier (a platform thread, a default
 * virtual thread, or any thread when the scheduler hook is unavailable): its caller's side. The
 * caller fills this object as a template through its {@link IoCall}, hands its
 * {@link ForeignCommand} (the carrier's side) to the carrier and blocks until the phase says how
 * the request ended. Allocates four objects per call (this, its call, its command and their
 * phase): this is the slow path; fibrils use pooled descriptors directly.
 *
 * <p>Its phase, and the hand-off between caller and carrier, are {@link ForeignPhase}'s; what
 * the carrier does in each phase is {@link ForeignCommand}'s. The caller moves the phase only
 * IDLE or DONE -> QUEUED, and QUEUED -> ABANDONED when it sees the carrier terminated.
 */
final class ForeignRequest extends IoRequest implements ForeignPhase.Caller {
    private final Carrier carrier;
    private final ForeignPhase phase;
    private final ForeignCommand command;
    private final IoCall call;

    ForeignRequest(Carrier carrier) {
        this.carrier = carrier;
        this.phase = new ForeignPhase(Thread.currentThread());
        this.command = new ForeignCommand(carrier, this, phase);
        this.call = new IoCall(null, this);
    }

    /** The call that fills this request and submits it (see {@link IoCall}). */
    IoCall call() {
        return call;
    }

    /**
     * Caller thread: submits the prepared request through the carrier and blocks until it
     * completes. An interrupt cancels the request and still waits for its completion; the
     * interrupt status is restored.
     */
    int execute(long timeoutNanos, CloseSignal closing) throws RuntimeClosedException, CarrierFailedException {
        command.arm(timeoutNanos, closing);
        phase.queue();
        carrier.submitCommand(command);
        int outcome = phase.await(this);
        if (outcome == ForeignPhase.DONE) {
            return command.result();
        }
        ClosedChannelException why = command.refusal();
        if (outcome == ForeignPhase.FAILED) {
            throw (CarrierFailedException) why;
        }
        throw new RuntimeClosedException("Fibril runtime is closed: the request was not started"
                + (why == null ? "" : " (" + why.getMessage() + ")"));
    }

    @Override
    public boolean carrierTerminated() {
        return carrier.isTerminated();
    }

    /** Caller thread, interrupted: the command runs again on the carrier, as a cancel once STARTED. */
    @Override
    public void requestCancel() {
        command.requestCancel();
        carrier.submitCommand(command);
    }
}
