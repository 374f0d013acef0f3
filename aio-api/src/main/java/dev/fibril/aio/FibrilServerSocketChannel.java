/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.Channel;
import java.util.Set;

/** A listening stream socket driven by a Fibril runtime. */
public interface FibrilServerSocketChannel extends Channel {

    /**
     * Binds to {@code local} and listens with the given backlog (at least 1).
     *
     * @throws IllegalArgumentException if {@code backlog} is below 1
     * @throws java.nio.channels.AlreadyBoundException if already bound
     * @throws ErrnoException for EADDRINUSE and other kernel errors
     */
    FibrilServerSocketChannel bind(SocketAddress local, int backlog) throws IOException;

    /**
     * Parks until a connection arrives and returns it.
     *
     * @throws java.nio.channels.NotYetBoundException if not bound
     */
    FibrilSocketChannel accept() throws IOException;

    /**
     * Sets a socket option of the listening socket, as {@link java.nio.channels.NetworkChannel#setOption}
     * does. Supported: {@link java.net.StandardSocketOptions#SO_RCVBUF}, which connections accepted
     * later start with; set it before {@link #bind} so that it also bounds the TCP window scale
     * they negotiate. A synchronous setsockopt(2), as for {@link FibrilSocketChannel#setOption}.
     *
     * @return this channel
     * @throws NullPointerException if {@code name} or {@code value} is null
     * @throws UnsupportedOperationException if {@code name} is not among {@link #supportedOptions()}
     * @throws IllegalArgumentException if the buffer size is zero or negative
     * @throws java.nio.channels.ClosedChannelException if the channel is closed
     * @throws ErrnoException if the kernel refuses the option
     */
    <T> FibrilServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException;

    /**
     * The value of a socket option of the listening socket; a buffer size as the kernel keeps it,
     * see {@link FibrilSocketChannel#getOption}.
     *
     * @throws NullPointerException if {@code name} is null
     * @throws UnsupportedOperationException if {@code name} is not among {@link #supportedOptions()}
     * @throws java.nio.channels.ClosedChannelException if the channel is closed
     * @throws ErrnoException if the kernel refuses the option
     */
    <T> T getOption(SocketOption<T> name) throws IOException;

    /** The options that {@link #setOption} and {@link #getOption} take, on every backend. Never throws. */
    Set<SocketOption<?>> supportedOptions();

    /** The bound address (with the port the kernel chose for port 0), or null while unbound. */
    InetSocketAddress localAddress() throws IOException;
}
