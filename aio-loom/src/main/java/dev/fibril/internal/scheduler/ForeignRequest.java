package dev.fibril.internal.scheduler;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.PoolWaiter;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.locks.LockSupport;

/**
 * A request made by a thread that is not a fibril of the carrier: a platform thread, a default
 * virtual thread, or any thread when the scheduler hook is unavailable. The caller fills this
 * object as a template; the carrier copies it into a pooled descriptor, submits it, and hands the
 * result back. Allocates one object per call: this is the slow path; fibrils use descriptors
 * directly.
 *
 * <pre>
 *  IDLE -> QUEUED        caller offered the command to the carrier
 *  QUEUED -> STARTED     the carrier took it (descriptor now, or queued for one)
 *  QUEUED -> ABANDONED   the carrier terminated first, or refused new requests (stopping past
 *                        its deadline, failed); the caller throws RuntimeClosedException
 *  STARTED -> ABANDONED  it waited for a descriptor and the carrier terminated or failed
 *  STARTED -> DONE       the carrier reaped the completion
 *  STARTED -> FAILED     submitted, and the carrier's ring failed: nothing will complete it;
 *                        the caller throws CarrierFailedException and keeps no claim on the buffer
 *  DONE -> QUEUED        the caller submits a follow-up request with the same object
 * </pre>
 *
 * A submitted request is finished only by its own completion, never by a deadline: until then
 * the kernel may write the caller's buffer.
 */
final class ForeignRequest extends IoRequest implements CarrierCommand, CompletionListener, PoolWaiter {
    private static final int IDLE = 0;
    private static final int QUEUED = 1;
    private static final int STARTED = 2;
    private static final int DONE = 3;
    private static final int ABANDONED = 4;
    private static final int FAILED = 5;
    private static final VarHandle PHASE;

    static {
        try {
            PHASE = MethodHandles.lookup().findVarHandle(ForeignRequest.class, "phase", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Carrier carrier;
    private final Thread caller;
    @SuppressWarnings("unused") // accessed through PHASE
    private volatile int phase = IDLE;
    private volatile boolean cancelRequested;
    private volatile int result;
    private Descriptor descriptor; // carrier thread only
    private CloseSignal closing = CloseSignal.NEVER;
    private long timeoutNanos;
    /** Why the call was refused or failed; written before the phase that publishes it. */
    private ClosedChannelException refusal;

    ForeignRequest(Carrier carrier) {
        this.carrier = carrier;
        this.caller = Thread.currentThread();
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
        PHASE.setVolatile(this, QUEUED);
        carrier.submitCommand(this);
        boolean interrupted = false;
        int p;
        while ((p = (int) PHASE.getVolatile(this)) != DONE) {
            if (p == FAILED) {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                throw (CarrierFailedException) refusal;
            }
            if (p == ABANDONED || (carrier.isTerminated() && PHASE.compareAndSet(this, QUEUED, ABANDONED))) {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                ClosedChannelException why = refusal;
                throw new RuntimeClosedException("Fibril runtime is closed: the request was not started"
                        + (why == null ? "" : " (" + why.getMessage() + ")"));
            }
            LockSupport.park(this);
            if (Thread.interrupted() && !interrupted) {
                interrupted = true;
                cancelRequested = true;
                carrier.submitCommand(this); // runs as a cancel once STARTED
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return result;
    }

    /** Carrier thread: start the request, or cancel it if it already started. */
    @Override
    public void run() {
        if ((int) PHASE.getVolatile(this) == STARTED) {
            if (cancelRequested && descriptor != null) {
                carrier.io().cancel(descriptor);
            } else if (cancelRequested && carrier.pool().cancelWait(this)) {
                finish(-Errno.ECANCELED);
            }
            return;
        }
        if (!PHASE.compareAndSet(this, QUEUED, STARTED)) {
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
        descriptor = null;
        carrier.pool().release(d);
        finish(r);
    }

    /** Carrier thread, terminating: the command never ran. */
    @Override
    public void abandon() {
        if (PHASE.compareAndSet(this, QUEUED, ABANDONED)) {
            LockSupport.unpark(caller);
        }
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
        PHASE.setVolatile(this, ABANDONED);
        LockSupport.unpark(caller);
    }

    /** Carrier thread: the ring failed with this request submitted; its descriptor stays with the kernel. */
    void fail(CarrierFailedException why) {
        descriptor = null;
        refusal = why;
        PHASE.setVolatile(this, FAILED);
        LockSupport.unpark(caller);
    }

    private void finish(int r) {
        result = r;
        PHASE.setVolatile(this, DONE);
        LockSupport.unpark(caller);
    }
}
