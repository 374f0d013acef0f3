/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.util.concurrent.locks.LockSupport;

/**
 * A pooled request descriptor: the SQE fields (inherited), plus the runtime's bookkeeping.
 *
 * <p>Confined to its carrier's thread (the carrier loop and the fibrils it runs, which run on that
 * same thread), so plain fields suffice: no other thread ever reads or writes a descriptor.
 * Foreign threads reach one only through a command that the carrier executes.
 *
 * <p>Its state moves only through the methods below, each of which checks its edge and throws
 * {@link IllegalStateException} on any other (a bug in the runtime, never the caller's input):
 * <pre>
 *  FREE -> TAKEN          take      the pool hands it to a caller (or straight to a waiter)
 *  TAKEN -> SUBMITTED     submit    the driver writes it to the ring
 *  SUBMITTED -> SUBMITTED resubmit  EINTR/EAGAIN reaped: the driver writes it again, after the reap
 *                                   (a cancel asked for meanwhile completes it with -ECANCELED)
 *  SUBMITTED -> SUBMITTED completeMore  a multishot request's completion with more to come; its listener is told
 *  SUBMITTED -> DONE      complete  final completion reaped; its waiter or listener is told
 *  DONE -> TAKEN          retake    the owner goes on with a follow-up request (a short write)
 *  TAKEN|DONE -> FREE     free      back to the pool; never while SUBMITTED (the kernel may own its buffer)
 * </pre>
 *
 * Who is told of the completion: a parked fibril ({@link #awaitedBy}), unparked, or a
 * {@link CompletionListener} ({@link #notifies}), called; never both. Setting either costs a
 * field write, so the fibril path allocates nothing.
 */
public final class Descriptor extends IoRequest {
    public static final int FREE = 0;
    public static final int TAKEN = 1;
    public static final int SUBMITTED = 2;
    public static final int DONE = 3;

    private final DescriptorPool pool;
    private final int index;
    private int state = FREE;
    private int result;
    private Thread waiter;
    private CompletionListener listener;
    /**
     * The channel whose close cancels this request (compared by identity), or null. Kept from
     * submission until release, so a close cancels its own requests and never those of a later
     * channel that reuses the fd number.
     */
    private Object channel;
    /** A second channel whose close cancels this request (a sendFile chain's file), or null. */
    private Object alsoChannel;
    /** Set when a cancel was submitted for the current submission, so it is submitted once. */
    private boolean cancelRequested;
    /**
     * {@code System.nanoTime()} by which a request submitted with a LINK_TIMEOUT must complete, or
     * 0 for none; kept so that a retried request goes again as a pair, with the time left.
     */
    private long timeoutDeadline;

    Descriptor(DescriptorPool pool, int index) {
        this.pool = pool;
        this.index = index;
    }

    // ---------------------------------------------------------------- transitions

    /** FREE -> TAKEN. The pool's. */
    void take() {
        expect(state == FREE, "take");
        state = TAKEN;
        cancelRequested = false;
    }

    /** TAKEN -> SUBMITTED, with no cancel asked for yet. */
    public void submit() {
        expect(state == TAKEN, "submit");
        state = SUBMITTED;
        cancelRequested = false;
    }

    /** SUBMITTED -> TAKEN: the ring refused the submission with an exception, so the kernel never saw it. */
    public void submissionFailed() {
        expect(state == SUBMITTED, "submissionFailed");
        state = TAKEN;
    }

    /** SUBMITTED -> SUBMITTED: goes to the ring again after a transient error. */
    public void resubmit() {
        expect(state == SUBMITTED && !cancelRequested, "resubmit");
    }

    /** SUBMITTED -> DONE with the final result; then tells the waiter or the listener. */
    public void complete(int result) {
        expect(state == SUBMITTED, "complete");
        this.result = result;
        this.state = DONE;
        CompletionListener l = listener;
        if (l != null) {
            l.onCompletion(this);
        } else if (waiter != null && waiter != Thread.currentThread()) {
            LockSupport.unpark(waiter);
        }
    }

    /** SUBMITTED -> SUBMITTED: one completion of a multishot request, which stays in flight; its listener is told. */
    public void completeMore(int result) {
        expect(state == SUBMITTED && listener != null, "completeMore");
        listener.onMoreCompletion(this, result);
    }

    /** DONE -> TAKEN for a follow-up request with the same descriptor; a TAKEN one stays TAKEN. */
    public void retake() {
        expect(state == DONE || state == TAKEN, "retake");
        state = TAKEN;
    }

    /** TAKEN|DONE -> FREE, dropping every reference to the caller's objects. The pool's. */
    void free() {
        if (state != TAKEN && state != DONE) {
            throw new IllegalStateException("descriptor " + index + " released while " + stateName(state));
        }
        clearReferences();
        waiter = null;
        listener = null;
        channel = null;
        alsoChannel = null;
        timeoutDeadline = 0;
        state = FREE;
    }

    /** SUBMITTED: a cancel was submitted for it; the driver asks before submitting another. */
    public void markCancelRequested() {
        expect(state == SUBMITTED, "cancel");
        cancelRequested = true;
    }

    private void expect(boolean allowed, String transition) {
        if (!allowed) {
            throw badTransition(transition);
        }
    }

    private IllegalStateException badTransition(String transition) {
        return new IllegalStateException("descriptor " + index + ": " + transition + " not allowed while " + stateName(state));
    }

    // ---------------------------------------------------------------- who is told

    /** The fibril {@code fibril} parks for the completion: it is unparked by {@link #complete}. */
    public void awaitedBy(Thread fibril) {
        waiter = fibril;
        listener = null;
    }

    /** {@code l} is called on completion instead of a parked fibril being unparked. */
    public void notifies(CompletionListener l) {
        listener = l;
        waiter = null;
    }

    /** Nobody waits any more: the completion, if one ever comes, gives the descriptor back to its pool. */
    public void releaseOnCompletion() {
        notifies(pool.releaser());
    }

    /** The listener, or null when a fibril waits (or nobody yet). */
    public CompletionListener listener() {
        return listener;
    }

    /** The ring was given up with this descriptor in flight: wakes whoever waits; it stays SUBMITTED. */
    public void carrierFailed() {
        CompletionListener l = listener;
        if (l != null) {
            l.onCarrierFailed(this);
        } else if (waiter != null) {
            LockSupport.unpark(waiter);
        }
    }

    // ---------------------------------------------------------------- fields

    public int index() {
        return index;
    }

    /** The pool it belongs to, for ever. */
    public DescriptorPool pool() {
        return pool;
    }

    public int state() {
        return state;
    }

    public int result() {
        return result;
    }

    public boolean isCancelRequested() {
        return cancelRequested;
    }

    public long timeoutDeadline() {
        return timeoutDeadline;
    }

    public void timeoutDeadline(long nanoTime) {
        this.timeoutDeadline = nanoTime;
    }

    /** Whether a close of {@code closed} cancels this request. */
    public boolean belongsTo(Object closed) {
        return channel == closed || alsoChannel == closed;
    }

    public void alsoChannel(Object channel) {
        this.alsoChannel = channel;
    }

    public Object channel() {
        return channel;
    }

    public void channel(Object channel) {
        this.channel = channel;
    }

    /** One line for diagnostics: index, opcode, fd, state and who waits. */
    String describe() {
        Object owner = listener != null ? listener : waiter;
        return "#" + index + ' ' + Op.name(opcode()) + " fd " + fd() + ' ' + stateName(state) + " owner " + owner;
    }

    static String stateName(int state) {
        return switch (state) {
            case FREE -> "FREE";
            case TAKEN -> "TAKEN";
            case SUBMITTED -> "SUBMITTED";
            case DONE -> "DONE";
            default -> "state " + state;
        };
    }
}
