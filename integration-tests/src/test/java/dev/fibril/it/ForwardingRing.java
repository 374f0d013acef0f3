/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;

/**
 * A ring that passes every call to a real one; the tests' scripted rings override what they change.
 * Provided buffers are not passed on ({@link CompletionRing#provideBuffers} keeps its default), so
 * the runtime receives into its own buffers on a scripted ring; a test of the provided-buffer path
 * overrides {@code provideBuffers} and {@code recycleBuffer}.
 */
class ForwardingRing implements CompletionRing {
    protected final CompletionRing ring;

    ForwardingRing(CompletionRing ring) {
        this.ring = ring;
    }

    @Override
    public void start() {
        ring.start();
    }

    @Override
    public boolean enqueue(IoRequest request) {
        return ring.enqueue(request);
    }

    @Override
    public int flush() {
        return ring.flush();
    }

    @Override
    public int reap(CompletionSink sink, int max) {
        return ring.reap(sink, max);
    }

    @Override
    public void await(long timeoutNanos) {
        ring.await(timeoutNanos);
    }

    @Override
    public void wakeup() {
        ring.wakeup();
    }

    @Override
    public int inFlight() {
        return ring.inFlight();
    }

    @Override
    public long kernelCalls() {
        return ring.kernelCalls();
    }

    @Override
    public long kernelCallErrors() {
        return ring.kernelCallErrors();
    }

    @Override
    public void close() {
        ring.close();
    }
}
