package dev.fibril.internal.io;

import dev.fibril.aio.spi.IoRequest;

/**
 * A pooled request descriptor: the SQE fields (inherited), plus the runtime's bookkeeping.
 *
 * <p>Confined to its carrier's thread (the carrier loop and the fibrils it runs, which run on that
 * same thread), so plain fields suffice: no other thread ever reads or writes a descriptor.
 * Foreign threads reach one only through a command that the carrier executes.
 *
 * <pre>
 *  FREE -> TAKEN          acquired from the pool by the owning caller
 *  TAKEN -> SUBMITTED     SQE written to the ring with user_data = generation << 32 | index
 *  SUBMITTED -> SUBMITTED EINTR/EAGAIN reaped: queued for retry, then resubmitted under a new
 *                         generation (a cancel asked for meanwhile completes it with -ECANCELED)
 *  SUBMITTED -> DONE      final CQE reaped; owner notified
 *  DONE -> TAKEN          owner resubmits the same descriptor (short write continues)
 *  TAKEN|DONE -> FREE     released to the pool; never while SUBMITTED (the kernel may own its buffer)
 * </pre>
 */
public final class Descriptor extends IoRequest {
    public static final int FREE = 0;
    public static final int TAKEN = 1;
    public static final int SUBMITTED = 2;
    public static final int DONE = 3;

    final int index;
    int generation;
    int state = FREE;
    int result;
    /** Who is told of the completion: the parked fibril ({@link Thread}) or a {@link CompletionListener}. */
    Object owner;
    /**
     * The channel whose close cancels this request (compared by identity), or null. Kept from
     * submission until release, so a close cancels its own requests and never those of a later
     * channel that reuses the fd number.
     */
    Object channel;
    /** A second channel whose close cancels this request (a sendFile chain's file), or null. */
    Object alsoChannel;
    /** Set when a cancel was submitted for the current generation, so it is submitted once. */
    boolean cancelRequested;
    /**
     * {@code System.nanoTime()} by which a request submitted with a LINK_TIMEOUT must complete, or
     * 0 for none; kept so that a retried request goes again as a pair, with the time left.
     */
    long timeoutDeadline;

    Descriptor(int index) {
        this.index = index;
    }

    public int index() {
        return index;
    }

    public int state() {
        return state;
    }

    public boolean isCancelRequested() {
        return cancelRequested;
    }

    public void markCancelRequested() {
        cancelRequested = true;
    }

    /** SUBMITTED -> DONE with the final result. */
    public void complete(int result) {
        this.result = result;
        this.state = DONE;
    }

    /** DONE -> TAKEN: the owner reuses the descriptor for a follow-up request. */
    public void retake() {
        this.state = TAKEN;
    }

    public int result() {
        return result;
    }

    public Object owner() {
        return owner;
    }

    public void owner(Object owner) {
        this.owner = owner;
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

    /** The token for the current generation. */
    long token() {
        return ((long) generation << 32) | (index & 0xFFFF_FFFFL);
    }
}
