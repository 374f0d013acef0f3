/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;

import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;

/**
 * The setsockopt(2) level/name pairs of {@link Backend} as {@link StandardSocketOptions}, and int
 * values (booleans as 0 or 1) in and out of {@link NetworkChannel#setOption}/{@code getOption}.
 * Results follow the CQE convention. Stateless.
 *
 * <p>Buffer sizes: on Linux the JDK halves what getsockopt(2) returns for SO_RCVBUF and SO_SNDBUF
 * (net_util_md.c, {@code NET_GetSockOpt}), to hide the kernel's doubling of the request. The SPI
 * promises the kernel's figure, as the io_uring backend reads it, so {@link #get} doubles them
 * back: exact after a set (the kernel keeps twice the request, or its even minimum); a size
 * the kernel tuned itself may come back one byte short.
 */
final class NioSocketOptions {
    private static final boolean JDK_HALVES_BUFFER_SIZES = System.getProperty("os.name", "").startsWith("Linux");

    private NioSocketOptions() {
    }

    /** The NIO option for {@code level}/{@code name}, or null when this backend does not carry it. */
    static SocketOption<?> of(int level, int name) {
        if (level == Backend.IPPROTO_TCP) {
            return name == Backend.TCP_NODELAY ? StandardSocketOptions.TCP_NODELAY : null;
        }
        if (level == Backend.SOL_SOCKET) {
            return switch (name) {
                case Backend.SO_KEEPALIVE -> StandardSocketOptions.SO_KEEPALIVE;
                case Backend.SO_RCVBUF -> StandardSocketOptions.SO_RCVBUF;
                case Backend.SO_SNDBUF -> StandardSocketOptions.SO_SNDBUF;
                default -> null;
            };
        }
        return null;
    }

    /**
     * Sets {@code option} on {@code channel}: 0, {@code -ENOPROTOOPT} when this kind of channel
     * does not carry it (a server socket has no TCP_NODELAY in NIO), {@code -EINVAL} for a
     * negative buffer size, {@code -EBADF} when the channel is closed.
     */
    @SuppressWarnings("unchecked")
    static int set(NetworkChannel channel, SocketOption<?> option, int value) {
        try {
            if (option.type() == Boolean.class) {
                channel.setOption((SocketOption<Boolean>) option, value != 0);
            } else {
                channel.setOption((SocketOption<Integer>) option, value);
            }
            return 0;
        } catch (UnsupportedOperationException e) {
            return -Errno.ENOPROTOOPT;
        } catch (Exception e) {
            return -NioErrno.of(e);
        }
    }

    /**
     * The value of {@code option} on {@code channel} (booleans as 0 or 1; buffer sizes as the
     * kernel keeps them), or {@code -errno} as for {@link #set}.
     */
    static int get(NetworkChannel channel, SocketOption<?> option) {
        try {
            Object value = channel.getOption(option);
            if (value instanceof Boolean on) {
                return on ? 1 : 0;
            }
            int n = (Integer) value;
            boolean bufferSize = option == StandardSocketOptions.SO_RCVBUF || option == StandardSocketOptions.SO_SNDBUF;
            return bufferSize && JDK_HALVES_BUFFER_SIZES ? 2 * n : n;
        } catch (UnsupportedOperationException e) {
            return -Errno.ENOPROTOOPT;
        } catch (Exception e) {
            return -NioErrno.of(e);
        }
    }
}
