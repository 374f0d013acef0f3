package dev.fibril.internal.scheduler;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.PoolWaiter;

import java.nio.channels.ClosedChannelException;

/**
 * A request made by a thread that is not a fibril of the carrier: a platform thread, a default
 * virtual thread, or any thread when the scheduler hook is unavailable. The caller fills this
 * object as a template; the carrier copies it into a pooled descriptor, submits it, and hands the
 * result back. Allocates two objects per call (this and its phase): this is the slow path;
 * fibrils use descriptors directly.
 *
 * <p>Its phase, and the hand-off between caller and carrier, are {@link ForeignPhase}'s. On the
 * carrier: QUEUED -> STARTED when it takes the command (a descriptor now, or queued for one);
 * QUEUED -> ABANDONED when it terminated first, or refused new requests (stopping past its
 * deadline, failed), and the caller throws RuntimeClosedException; STARTED -> ABANDONED when it
 * waited for a descriptor and the carrier terminated or failed; STARTED -> DONE when the
 * completion is reaped; STARTED -> FAILED when submitted and the ring failed: nothing will
 * complete it, the caller throws CarrierFailedException and keeps no claim on the buffer.
 *
 * A submitted request is finished only by its own completion, never by a deadline: until then
 * the kernel may write the caller's buffer.
 */
final class ForeignRequest extends IoRequest implements CarrierCommand, CompletionListener, PoolWaiter, ForeignPhase.Caller {
    private final Carrier carrier;
    private final ForeignPhase phase;
    private volatile boolean cancelRequested;
    private volatile int result;
    private Descriptor descriptor; // carrier thread only
    private CloseSignal closing = CloseSignal.NEVER;
    private long timeoutNanos;
    /** Why the call was refused or failed; written before the phase that publishes it. */
    private ClosedChannelException refusal;

    ForeignRequest(Carrier carrier) {
        this.carrier = carrier;
        this.phase = new ForeignPhase(Thread.currentThread());
    }

    /**
     * Caller thread: submits the prepared request through the carrier and blocks until it
     * completes. An interrupt cancels the request and still waits for its completion; the
     * interrupt status is restored.
     */
    int execute(long timeoutNanos, CloseSignal closing) throws RuntimeClosedException, CarrierFailedException {
        this.closing = closing;
        this.timeoutNanos = timeoutNanos;
        cancelRequested = false;
        phase.queue();
        carrier.submitCommand(this);
        int outcome = phase.await(this);
        if (outcome == ForeignPhase.DONE) {
            return result;
        }
        if (outcome == ForeignPhase.FAILED) {
            throw (CarrierFailedException) refusal;
        }
        ClosedChannelException why = refusal;
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
        cancelRequested = true;
        carrier.submitCommand(this);
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
        d.copyFrom(this);
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
        size(d.size()); // a STATX's size; published to the caller with the result by the phase's end
        descriptor = null;
        carrier.pool().release(d);
        finish(r);
    }

    /** Carrier thread, terminating: the command never ran. */
    @Override
    public void abandon() {
        phase.abandonQueued();
    }

    @Override
    public void onCarrierFailed(Descriptor d) {
        fail(carrier.failedException());
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

    /** Carrier thread: the ring failed with this request submitted; its descriptor stays with the kernel. */
    void fail(CarrierFailedException why) {
        descriptor = null;
        refusal = why;
        phase.end(ForeignPhase.FAILED);
    }

    private void finish(int r) {
        result = r;
        phase.end(ForeignPhase.DONE);
    }
}
