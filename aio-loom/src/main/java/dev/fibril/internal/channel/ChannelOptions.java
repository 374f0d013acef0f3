/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.spi.Backend;

import java.io.IOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.Objects;
import java.util.Set;

/**
 * The socket options of Fibril's channels: each {@link SocketOption} as the backend's
 * setsockopt(2) level and name, its value as an int (booleans as 0 or 1). Arguments are checked
 * in java.nio's order (name, support, value) before the channel's state; the call itself counts
 * in on the channel's handle, so close cannot free the fd while the backend uses it. Stateless.
 */
final class ChannelOptions {
    /** What {@link dev.fibril.aio.FibrilSocketChannel} takes. */
    static final Set<SocketOption<?>> SOCKET = Set.of(StandardSocketOptions.TCP_NODELAY,
            StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_SNDBUF);
    /**
     * What {@link dev.fibril.aio.FibrilServerSocketChannel} takes. Not SO_REUSEADDR: listen turns it
     * on in the io_uring and epoll backends, so a false set before bind would be undone. Not TCP_NODELAY or
     * SO_KEEPALIVE: the epoll backend's listening socket is a NIO server socket, which has neither.
     */
    static final Set<SocketOption<?>> SERVER_SOCKET = Set.of(StandardSocketOptions.SO_RCVBUF);

    private ChannelOptions() {
    }

    /** Sets {@code name} on {@code fd}'s socket; see {@link dev.fibril.aio.FibrilSocketChannel#setOption}. */
    static <T> void set(FdHandle fd, Set<SocketOption<?>> supported, SocketOption<T> name, T value)
            throws IOException {
        checkSupported(supported, name);
        Objects.requireNonNull(value, "value");
        int raw = encode(name, value);
        fd.begin();
        try {
            Backend backend = fd.group().backend();
            FdCalls.check(backend.setOption(fd.fd(), level(name), optionName(name), raw), "setsockopt", name);
        } finally {
            fd.end();
        }
    }

    /** The value of {@code name} on {@code fd}'s socket; see {@link dev.fibril.aio.FibrilSocketChannel#getOption}. */
    static <T> T get(FdHandle fd, Set<SocketOption<?>> supported, SocketOption<T> name) throws IOException {
        checkSupported(supported, name);
        int raw;
        fd.begin();
        try {
            Backend backend = fd.group().backend();
            raw = FdCalls.check(backend.getOption(fd.fd(), level(name), optionName(name)), "getsockopt", name);
        } finally {
            fd.end();
        }
        return name.type() == Boolean.class ? name.type().cast(raw != 0) : name.type().cast(raw);
    }

    private static void checkSupported(Set<SocketOption<?>> supported, SocketOption<?> name) {
        Objects.requireNonNull(name, "name");
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("socket option " + name.name() + " is not supported; supported: "
                    + supported.stream().map(SocketOption::name).sorted().toList());
        }
    }

    private static int encode(SocketOption<?> name, Object value) {
        if (!name.type().isInstance(value)) {
            throw new IllegalArgumentException(name.name() + " takes a " + name.type().getSimpleName() + ", not " + value);
        }
        if (value instanceof Boolean on) {
            return on ? 1 : 0;
        }
        int size = (Integer) value;
        if (size <= 0) {
            throw new IllegalArgumentException(name.name() + " must be positive, was " + size);
        }
        return size;
    }

    private static int level(SocketOption<?> name) {
        return name == StandardSocketOptions.TCP_NODELAY ? Backend.IPPROTO_TCP : Backend.SOL_SOCKET;
    }

    private static int optionName(SocketOption<?> name) {
        if (name == StandardSocketOptions.TCP_NODELAY) {
            return Backend.TCP_NODELAY;
        }
        if (name == StandardSocketOptions.SO_KEEPALIVE) {
            return Backend.SO_KEEPALIVE;
        }
        if (name == StandardSocketOptions.SO_RCVBUF) {
            return Backend.SO_RCVBUF;
        }
        if (name == StandardSocketOptions.SO_SNDBUF) {
            return Backend.SO_SNDBUF;
        }
        throw new IllegalStateException("no backend name for " + name); // checkSupported let through an unmapped option
    }
}
