/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The virtual loopback network: one port space for 127.0.0.1, shared by listeners and the
 * ephemeral ports of connecting clients. Thread-safe; control plane only.
 */
final class Loopback {
    static final InetAddress ADDRESS;

    static {
        try {
            ADDRESS = InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int LAST_PORT = 65535;

    private final int firstEphemeral;
    private final BitSet used = new BitSet(LAST_PORT + 1);
    private final Map<Integer, Listener> listeners = new HashMap<>();
    private int nextEphemeral;

    Loopback(int firstEphemeral) {
        this.firstEphemeral = firstEphemeral;
        this.nextEphemeral = firstEphemeral;
    }

    /** Whether {@code address} is on this network: 127.0.0.0/8, the wildcard, or the unresolved name "localhost". */
    static boolean isLocal(InetSocketAddress address) {
        InetAddress host = address.getAddress();
        if (host == null) {
            return "localhost".equalsIgnoreCase(address.getHostString());
        }
        return host.isLoopbackAddress() || host.isAnyLocalAddress();
    }

    static InetSocketAddress address(int port) {
        return new InetSocketAddress(ADDRESS, port);
    }

    /** Takes {@code port}, or an ephemeral port when 0. Returns the port, {@code -EADDRINUSE} or {@code -EADDRNOTAVAIL}. */
    synchronized int reserve(int port) {
        if (port == 0) {
            return ephemeral();
        }
        if (used.get(port)) {
            return -Errno.EADDRINUSE;
        }
        used.set(port);
        return port;
    }

    synchronized void listen(int port, Listener listener) {
        listeners.put(port, listener);
    }

    synchronized Listener listener(int port) {
        return listeners.get(port);
    }

    /** Frees {@code port}, and stops routing connections to its listener if it had one. */
    synchronized void release(int port) {
        listeners.remove(port);
        used.clear(port);
    }

    /** The next free port from the ephemeral range, wrapping around; {@code -EADDRNOTAVAIL} when all are taken. */
    synchronized int ephemeral() {
        int span = LAST_PORT - firstEphemeral + 1;
        for (int i = 0; i < span; i++) {
            int port = nextEphemeral;
            nextEphemeral = port == LAST_PORT ? firstEphemeral : port + 1;
            if (!used.get(port)) {
                used.set(port);
                return port;
            }
        }
        return -Errno.EADDRNOTAVAIL;
    }
}
