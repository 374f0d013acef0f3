/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio.spi;

/** Receives reaped completions from {@link CompletionRing#reap}. Called on the ring's owner thread. */
@FunctionalInterface
public interface CompletionSink {
    /**
     * One completion, delivered once per enqueue: the ring has already told it from a stale one and
     * holds no reference to {@code request} any more.
     *
     * @param request the very object given to {@link CompletionRing#enqueue}
     * @param result  {@code >= 0} on success (bytes, a new fd, or 0), {@code -errno} on failure
     */
    void onCompletion(IoRequest request, int result);
}
