/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Submit-many / await-completions access to the runtime's ring, for callers who drive their own
 * state machine (the {@code io_submit} / {@code io_getevents} shape). Requests use the same pooled
 * descriptors as the blocking calls. A batch belongs to the thread that opened it.
 *
 * <p>Each prepare call names a caller-chosen {@code tag}; {@link #submit()} hands every prepared
 * request to the kernel at once; {@link #await} parks until completions arrive and reports each
 * exactly once as {@code (tag, result)}, where {@code result >= 0} is the byte count (buffers'
 * positions have been advanced by it) and {@code result < 0} is {@code -errno}. EINTR and EAGAIN
 * are retried inside and never reported.
 */
public interface IoBatch extends AutoCloseable {

    /** Receives completions from {@link #await}. */
    @FunctionalInterface
    interface CompletionHandler {
        void onCompletion(long tag, int result);
    }

    void read(FibrilFileChannel file, ByteBuffer dst, long position, long tag) throws IOException;

    void write(FibrilFileChannel file, ByteBuffer src, long position, long tag) throws IOException;

    void fsync(FibrilFileChannel file, long tag) throws IOException;

    void recv(FibrilSocketChannel socket, ByteBuffer dst, long tag) throws IOException;

    void send(FibrilSocketChannel socket, ByteBuffer src, long tag) throws IOException;

    /** A request that does nothing in the kernel: the cheapest round trip. */
    void nop(long tag) throws IOException;

    /** Hands every prepared request to the kernel; returns how many. */
    int submit() throws IOException;

    /**
     * Parks until at least {@code min} completions (bounded by those outstanding) are available,
     * then reports every available one to {@code handler}. Returns how many were reported.
     */
    int await(int min, CompletionHandler handler) throws IOException;

    /** Requests submitted and not yet reported. */
    int outstanding();

    /** Waits for every outstanding request (reporting nothing), then releases the batch. */
    @Override
    void close() throws IOException;
}
