/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;

import java.net.InetSocketAddress;

/**
 * A backend that passes every call to a real one: the base of the tests' scripted kernels, which
 * override only what they change. Rings go through {@link #wrap}, which passes them on unchanged
 * unless overridden (see {@link ForwardingRing}).
 */
abstract class ForwardingBackend implements Backend {
    protected final Backend inner;

    ForwardingBackend(Backend inner) {
        this.inner = inner;
    }

    /** The ring the runtime gets for carrier {@code carrierIndex}; by default the real one. */
    CompletionRing wrap(CompletionRing ring, int carrierIndex) {
        return ring;
    }

    @Override
    public CompletionRing openRing(int carrierIndex) {
        return wrap(inner.openRing(carrierIndex), carrierIndex);
    }

    @Override
    public CompletionRing openRing(int carrierIndex, boolean singleThreaded) {
        return wrap(inner.openRing(carrierIndex, singleThreaded), carrierIndex);
    }

    @Override
    public dev.fibril.aio.BackendFeatures features(boolean singleThreaded) {
        return inner.features(singleThreaded);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public boolean supports(int op) {
        return inner.supports(op);
    }

    @Override
    public boolean copiesHeapBuffers() {
        return inner.copiesHeapBuffers();
    }

    @Override
    public boolean acceptsMultishot() {
        return inner.acceptsMultishot();
    }

    @Override
    public boolean receivesMultishot() {
        return inner.receivesMultishot();
    }

    @Override
    public int open(String path, int flags, int mode) {
        return inner.open(path, flags, mode);
    }

    @Override
    public int socket() {
        return inner.socket();
    }

    @Override
    public int listen(int fd, InetSocketAddress address, int backlog) {
        return inner.listen(fd, address, backlog);
    }

    @Override
    public InetSocketAddress localAddress(int fd) {
        return inner.localAddress(fd);
    }

    @Override
    public InetSocketAddress remoteAddress(int fd) {
        return inner.remoteAddress(fd);
    }

    @Override
    public int setOption(int fd, int level, int name, int value) {
        return inner.setOption(fd, level, name, value);
    }

    @Override
    public int getOption(int fd, int level, int name) {
        return inner.getOption(fd, level, name);
    }

    @Override
    public long size(int fd) {
        return inner.size(fd);
    }

    @Override
    public int truncate(int fd, long size) {
        return inner.truncate(fd, size);
    }

    @Override
    public int close(int fd) {
        return inner.close(fd);
    }

    @Override
    public int pipe(int[] fds) {
        return inner.pipe(fds);
    }

    @Override
    public int openDescriptors() {
        return inner.openDescriptors();
    }

    @Override
    public void close() {
        inner.close();
    }
}
