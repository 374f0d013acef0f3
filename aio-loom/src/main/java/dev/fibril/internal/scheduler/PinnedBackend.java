/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.internal.jdk.VirtualThreadBridge;

import java.net.InetSocketAddress;

/**
 * The runtime's view of a {@link Backend}: each synchronous call (open, close, socket, listen, setOption...)
 * made by a virtual thread keeps it pinned to its carrier until the call returns, as a system call
 * keeps its thread. A backend may block inside such a call: the simulated kernel's close takes the
 * socket's monitor and then the monitors of the queues of the rings that wait on it. Unpinned, a
 * fibril that blocks there would unmount while holding the first monitor; if its carrier then
 * blocked on that monitor in a ring call (pinned, see {@link Carrier}), the fibril could never
 * resume and the carrier would never wake. Rings are not wrapped: {@link Carrier} pins around its
 * own ring calls.
 *
 * <p>It also counts the calls among open, socket, size, truncate and close that a carrier's thread
 * makes (a fibril on it, or its loop): the channel layer makes them as ring requests wherever the
 * backend's rings carry the op, so on io_uring this stays 0 unless a feature is off.
 */
final class PinnedBackend implements Backend {
    private final Backend backend;
    private final java.util.concurrent.atomic.LongAdder syncCallsOnCarriers = new java.util.concurrent.atomic.LongAdder();

    PinnedBackend(Backend backend) {
        this.backend = backend;
    }

    /** Calls of open, socket, size, truncate and close made on a carrier's thread (any thread reads). */
    long syncCallsOnCarriers() {
        return syncCallsOnCarriers.sum();
    }

    private void countIfOnCarrier() {
        if (Carrier.current() != null) {
            syncCallsOnCarriers.increment();
        }
    }

    /** The wrapped backend. */
    Backend unwrap() {
        return backend;
    }

    @Override
    public String name() {
        return backend.name();
    }

    @Override
    public CompletionRing openRing(int carrierIndex) {
        return openRing(carrierIndex, false);
    }

    @Override
    public CompletionRing openRing(int carrierIndex, boolean singleThreaded) {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.openRing(carrierIndex, singleThreaded);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public dev.fibril.aio.BackendFeatures features(boolean singleThreaded) {
        return backend.features(singleThreaded);
    }

    @Override
    public int open(String path, int flags, int mode) {
        countIfOnCarrier();
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.open(path, flags, mode);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public boolean supports(int op) {
        return backend.supports(op);
    }

    @Override
    public boolean copiesHeapBuffers() {
        return backend.copiesHeapBuffers();
    }

    @Override
    public boolean acceptsMultishot() {
        return backend.acceptsMultishot();
    }

    @Override
    public boolean receivesMultishot() {
        return backend.receivesMultishot();
    }

    @Override
    public int pipe(int[] fds) {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.pipe(fds);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public int socket() {
        countIfOnCarrier();
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.socket();
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public int listen(int fd, InetSocketAddress address, int backlog) {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.listen(fd, address, backlog);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public InetSocketAddress localAddress(int fd) {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.localAddress(fd);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public InetSocketAddress remoteAddress(int fd) {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.remoteAddress(fd);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public int setOption(int fd, int level, int name, int value) {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.setOption(fd, level, name, value);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public int getOption(int fd, int level, int name) {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.getOption(fd, level, name);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public long size(int fd) {
        countIfOnCarrier();
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.size(fd);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public int truncate(int fd, long size) {
        countIfOnCarrier();
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.truncate(fd, size);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public int close(int fd) {
        countIfOnCarrier();
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.close(fd);
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public int openDescriptors() {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            return backend.openDescriptors();
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public void close() {
        boolean pinned = VirtualThreadBridge.pinCurrent();
        try {
            backend.close();
        } finally {
            VirtualThreadBridge.unpinCurrent(pinned);
        }
    }

    @Override
    public String toString() {
        return backend.toString();
    }
}
