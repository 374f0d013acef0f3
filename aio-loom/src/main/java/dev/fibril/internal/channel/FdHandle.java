/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.internal.scheduler.CarrierGroup;
import dev.fibril.internal.scheduler.CloseSignal;
import dev.fibril.internal.scheduler.IoCalls;

import java.io.Closeable;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;

/**
 * A channel's fd and its lifetime, shared by the calls in flight on it (monoio's {@code SharedFd}):
 * close never frees an fd that a request still names.
 *
 * <p>The count of calls in and the close bit are an {@link FdLifetime}.
 * The cancel names this handle, never the fd number: it reaches the carriers after the close returns, possibly
 * after the fd was closed and its number handed to a new channel. Any thread.
 */
final class FdHandle implements CloseSignal {
    private final CarrierGroup group;
    private final Closeable owner;
    private final int fd;
    private final FdLifetime lifetime = new FdLifetime();

    /** Registers {@code owner} with the group (which closes it with the runtime). */
    FdHandle(CarrierGroup group, Closeable owner, int fd) throws ClosedChannelException {
        this.group = group;
        this.owner = owner;
        this.fd = fd;
        group.register(owner);
    }

    int fd() {
        return fd;
    }

    CarrierGroup group() {
        return group;
    }

    @Override
    public boolean isClosed() {
        return lifetime.isClosed();
    }

    /** Counts a call in; throws if the channel is closed. */
    void begin() throws ClosedChannelException {
        if (!lifetime.enter()) {
            throw new ClosedChannelException();
        }
    }

    /** Counts a call out; the last one out of a closed handle closes the fd. */
    void end() {
        if (lifetime.leave()) {
            closeFd();
        }
    }

    /** Idempotent. Cancels calls in progress (they throw {@link AsynchronousCloseException}). */
    void close() {
        switch (lifetime.close()) {
            case FdLifetime.CLOSE_NOW -> closeFd();
            case FdLifetime.CANCEL_CALLS -> IoCalls.cancelAllOn(group, this);
            default -> { } // closed before
        }
    }

    /** Throws {@link ClosedChannelException} once closed. */
    void ensureOpen() throws ClosedChannelException {
        if (isClosed()) {
            throw new ClosedChannelException();
        }
    }

    private void closeFd() {
        group.unregister(owner);
        if (owner instanceof AbstractChannel channel) {
            channel.onLastCall();
        }
        // Only now, with no call of this channel in progress, so no request in flight names the fd
        // when its number is released for reuse.
        DescriptorCalls.close(group, fd);
    }
}
