/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio.spi;

/**
 * One submission/completion ring, owned by one carrier thread: the shape of io_uring, which the
 * epoll and simulated backends imitate.
 *
 * <p>Threads: every method but {@link #wakeup()} is called only by the owner thread (the carrier,
 * or a fibril running on it). {@link #wakeup()} may be called from any thread. The owner's calls
 * never overlap, except that the {@link CompletionSink} given to {@link #reap} may enqueue and
 * flush: a fibril is pinned to its carrier for the whole of a call, so an implementation may block
 * inside one (on a lock that another ring's thread holds, as a kernel would) and the carrier
 * thread blocks with it, without running other fibrils or its loop in between.
 *
 * <p>Protocol: {@link #enqueue} writes submissions; {@link #flush} hands everything enqueued since
 * the last flush to the kernel in one go; {@link #reap} delivers completions that are already
 * available without blocking; {@link #await} blocks until a completion is available, the timeout
 * passes, or {@link #wakeup()} is called (a wake-up that comes before the wait makes the next wait
 * return at once). Every enqueued request completes exactly once (a multishot ACCEPT: any number of times with
 * {@link IoRequest#more()} true, then exactly once with it false), including after
 * {@code ASYNC_CANCEL}, and its completion hands back the object that was enqueued; a cancelled
 * request completes with {@code -ECANCELED} (on the simulated kernel a request cancelled while its
 * completion was held back by latency may already have moved its data).
 *
 * <p>{@code ASYNC_CANCEL} names its target by reference ({@link IoRequest#cancelTarget()}), which
 * the ring resolves through the token it stored on the target ({@link IoRequest#ringToken()}) when
 * the cancel is enqueued: no search. It completes with {@code -ENOENT} when the target is not in
 * flight on this ring then (already completed, even if its slot was reused since; never enqueued
 * here; or enqueued again only after the cancel).
 *
 * <p>Shutdown: the owner stops enqueueing, cancels what is in flight, reaps until
 * {@link #inFlight()} is 0, then calls {@link #close()}.
 */
public interface CompletionRing extends AutoCloseable {

    /**
     * Binds the ring to the calling thread, the one that drives it from now on, before any other
     * owner call (io_uring: enables a ring set up disabled; a single-issuer ring then answers no
     * other thread). Idempotent; the first owner call starts a ring nobody started. This default
     * does nothing.
     */
    default void start() {
    }

    /**
     * Gives {@code buffers} (direct, all of one capacity, a power-of-two count) to the ring as its
     * provided buffers, for RECVs with {@link IoRequest#FLAG_BUFFER_SELECT}: from now on the ring
     * owns each buffer until a completion names it, and the runtime gives it back with
     * {@link #recycleBuffer}. Owner thread, once. Returns false, keeping nothing, where the ring
     * cannot (no provided buffer rings here, switched off, or the kernel refused): the runtime
     * then fills its buffers with ordinary RECVs. This default returns false.
     */
    default boolean provideBuffers(java.nio.ByteBuffer[] buffers) {
        return false;
    }

    /**
     * Hands provided buffer {@code id} back to the ring, for a later RECV to pick. Owner thread.
     *
     * @throws IllegalStateException if the ring has no provided buffers
     */
    default void recycleBuffer(int id) {
        throw new IllegalStateException("this ring has no provided buffers");
    }

    /** Writes a submission for {@code request}. Returns false when the submission queue is full: flush, then retry. */
    boolean enqueue(IoRequest request);

    /** Hands all enqueued submissions to the kernel. Returns how many. */
    int flush();

    /** Delivers up to {@code max} available completions to {@code sink}, without blocking. Returns how many. */
    int reap(CompletionSink sink, int max);

    /**
     * Starts whatever is enqueued and not yet flushed, then blocks until a completion is available,
     * {@code timeoutNanos} pass ({@code < 0}: no limit), or a wake-up.
     */
    void await(long timeoutNanos);

    /**
     * Times the ring found the kernel holding completions back because its completion queue was
     * full (io_uring's CQ overflow: none is lost, as the ring is set up to keep them, but each such
     * episode costs an extra kernel call and says the completion queue is too small for the load).
     * Owner; this default reports none.
     */
    default long completionOverflows() {
        return 0;
    }

    /** Makes the owner's current or next {@link #await} return. Any thread. */
    void wakeup();

    /** Requests enqueued and not yet reaped. */
    int inFlight();

    /**
     * Calls into the kernel so far: each flush that submitted something and each wait
     * (io_uring_enter, epoll_wait, or their simulated equivalent). An empty flush is not counted.
     */
    long kernelCalls();

    /**
     * Calls into the kernel that failed other than by a signal or a wait's timeout (io_uring:
     * EBUSY, EAGAIN, EBADR). Owner thread writes; any thread may read a slightly old count.
     */
    default long kernelCallErrors() {
        return 0;
    }

    /** Releases the ring. Requests still in flight are abandoned, so call it only with none. */
    @Override
    void close();
}
