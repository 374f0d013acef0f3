/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.link;

import dev.fibril.aio.spi.IoRequest;

/**
 * What {@link LinkChains} needs from the emulated ring it serves: to start a request, to deliver a
 * completion it made, and to cancel a request it linked that waits. Owner thread only, like the
 * ring. Times are the ring's clock in nanoseconds; a ring without latency (epoll) may ignore them.
 */
public interface LinkHost {
    /** A {@link #startLinked} result meaning "waits; completes later". Never a valid result. */
    int WAITING = Integer.MIN_VALUE;

    /**
     * Starts {@code request} now: its result when it ran at once (the ring delivers its completion
     * itself, not before {@code notBefore}), or {@link #WAITING}. A request that waits must reach
     * {@link LinkChains#noteCompleted} when it completes, under the link {@link #linkWaiting} gives it.
     */
    int startLinked(IoRequest request, long now, long notBefore);

    /** When the completion of the request that the last {@link #startLinked} ran at once is due. */
    long lastDue();

    /**
     * Ties the request that the last {@link #startLinked} left waiting to chain slot {@code link};
     * returns the handle {@link #cancelWaiting} takes for it.
     */
    int linkWaiting(int link);

    /** Cancels the waiting request of {@code handle} ({@code -ECANCELED}); false when it completed already. */
    boolean cancelWaiting(int handle);

    /** Delivers a completion made by the chains (a cancelled member, a link timeout), due at {@code due}. */
    void pushCompletion(long due, long token, int result, byte opcode);

    /** The request of {@code token} is held by the chains, not in flight: an ASYNC_CANCEL does not find it. */
    void held(long token);
}
