/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.internal.scheduler.CarrierGroup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.util.Set;

/**
 * What Fibril's channels share: the {@link FdHandle} (the fd and its lifetime), open and close,
 * the description, and the socket options, for the channels that take any. A subclass adds its
 * calls, each between {@code handle.begin()} and {@code handle.end()}; a close ends the calls in
 * progress (see {@link FdHandle}), then tells the subclass ({@link #onClosed}).
 */
abstract class AbstractChannel implements Channel {
    /** The channel's fd, shared by its calls in progress. */
    final FdHandle handle;
    private final String kind;
    private final Set<SocketOption<?>> options;

    /** Registers the channel with {@code group}, which closes it with the runtime. */
    AbstractChannel(CarrierGroup group, int fd, String kind, Set<SocketOption<?>> options) throws ClosedChannelException {
        this.kind = kind;
        this.options = options;
        this.handle = new FdHandle(group, this, fd);
    }

    final CarrierGroup group() {
        return handle.group();
    }

    @Override
    public final boolean isOpen() {
        return !handle.isClosed();
    }

    /** Idempotent; calls in progress throw {@link java.nio.channels.AsynchronousCloseException}. */
    @Override
    public final void close() {
        handle.close();
        onClosed();
    }

    /** After every {@link #close}: what the subclass releases besides the fd. */
    void onClosed() {
    }

    /** Closed, and the last call in progress ended: just before the fd is closed. Whichever thread ended it. */
    void onLastCall() {
    }

    /** The socket options this channel takes (none for a file). */
    public final Set<SocketOption<?>> supportedOptions() {
        return options;
    }

    /** Sets {@code name}; see {@link dev.fibril.aio.FibrilSocketChannel#setOption}. */
    final <T> void setOptionValue(SocketOption<T> name, T value) throws IOException {
        ChannelOptions.set(handle, options, name, value);
    }

    /** The value of {@code name}; see {@link dev.fibril.aio.FibrilSocketChannel#getOption}. */
    final <T> T optionValue(SocketOption<T> name) throws IOException {
        return ChannelOptions.get(handle, options, name);
    }

    /** The socket's local address, from the backend; throws once closed. */
    final InetSocketAddress backendLocalAddress() throws IOException {
        handle.ensureOpen();
        return group().backend().localAddress(handle.fd());
    }

    /** Appends what the description says besides the kind, the fd and whether closed (", connected"). */
    void describe(StringBuilder out) {
    }

    @Override
    public final String toString() {
        StringBuilder out = new StringBuilder(kind).append("[fd ").append(handle.fd());
        describe(out);
        return out.append(isOpen() ? "" : ", closed").append(']').toString();
    }
}
