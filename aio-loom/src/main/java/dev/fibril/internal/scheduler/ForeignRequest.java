package dev.fibril.internal.scheduler;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.DescriptorPool;
import dev.fibril.internal.io.PoolWaiter;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 *  QUEUED -> ABANDONED   the carrier terminated first; the caller fails the call
 *  STARTED -> DONE       the carrier reaped the completion (or failed the call while stopping)
 *  DONE -> QUEUED        the caller submits a follow-up request with the same object
 * </pre>
 */
final class ForeignRequest extends IoRequest implements Runnable, CompletionListener, PoolWaiter {
    private static final int IDLE = 0;
    private static final int QUEUED = 1;
    private static final int STARTED = 2;
    private static final int DONE = 3;
    private static final int ABANDONED = 4;
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

    ForeignRequest(Carrier carrier) {
        this.carrier = carrier;
        this.caller = Thread.currentThread();
    }

    /**
     * Caller thread: submits the prepared request through the carrier and blocks until it
     * completes. An interrupt cancels the request and still waits for its completion; the
     * interrupt status is restored.
     */
    int execute(long timeoutNanos, CloseSignal closing) throws RuntimeClosedException {
        this.closing = closing;
        this.timeoutNanos = timeoutNanos;
        cancelRequested = false;
        PHASE.setVolatile(this, QUEUED);
        carrier.submitCommand(this);
        boolean interrupted = false;
        int p;
        while ((p = (int) PHASE.getVolatile(this)) != DONE) {
            if (p == ABANDONED || (carrier.isTerminated() && PHASE.compareAndSet(this, QUEUED, ABANDONED))) {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                throw new RuntimeClosedException("Fibril runtime is closed: the request was not started");
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
                carrier.cancel(descriptor);
            } else if (cancelRequested && carrier.pool().cancelWait(this)) {
                finish(-Errno.ECANCELED);
            }
            return;
        }
        if (!PHASE.compareAndSet(this, QUEUED, STARTED)) {
            return; // abandoned, or a stale cancel command
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
        d.owner(this);
        d.channel(closing);
        if (timeoutNanos > 0) {
            carrier.submitWithTimeout(d, timeoutNanos);
        } else {
            carrier.submit(d);
        }
        if (cancelRequested || closing.isClosed()) {
            carrier.cancel(d);
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
    void abandon() {
        if (PHASE.compareAndSet(this, QUEUED, ABANDONED)) {
            LockSupport.unpark(caller);
        }
    }

    private void finish(int r) {
        result = r;
        PHASE.setVolatile(this, DONE);
        LockSupport.unpark(caller);
    }

    /** Carrier thread, terminating: fails every foreign call still waiting for a descriptor or a completion. */
    static void failWaiters(DescriptorPool pool) {
        PoolWaiter w;
        while ((w = pool.pollWaiter()) != null) {
            if (w instanceof ForeignRequest f) {
                f.finish(-Errno.ECANCELED);
            }
        }
        pool.forEachSubmitted(d -> {
            if (d.owner() instanceof ForeignRequest f) {
                f.descriptor = null;
                f.finish(-Errno.ECANCELED);
            }
        });
    }
}
