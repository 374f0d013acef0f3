/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import java.nio.ByteBuffer;

/**
 * Points a caller's buffer at a request's region {@code [position, position + length)} for one
 * NIO call, and puts it back afterwards, without allocating a duplicate per call.
 *
 * <p>How: the caller's own position and limit are saved, set to the region, and restored once the
 * call returns; the runtime does not touch a buffer while its request is in flight (the
 * {@link dev.fibril.aio.spi.IoRequest} contract), and the ring makes one call at a time on its
 * owner thread, so nobody observes the borrowed state. The order of the moves keeps the caller's
 * mark: it survives as long as no position or limit below it is ever set, which holds when the
 * region starts at or after the buffer's position (the mark is never above the position). That
 * is what the runtime passes. A region that starts before the buffer's position goes through a
 * {@link ByteBuffer#duplicate()} instead (one allocation, counted in {@link #duplicates()}).
 *
 * <p>What this assumes: the same buffer object is not in flight on two rings at once (two
 * carriers would move its position concurrently). NIO's own channels move the position of the
 * buffers they are given, so sharing one buffer object between concurrent calls is already a
 * data race for their callers. Owner thread only; not reentrant.
 */
final class BufferRegion {
    private ByteBuffer borrowed;
    private int savedPosition;
    private int savedLimit;
    private long duplicates;

    /** The buffer to hand to NIO, positioned on the region. Call {@link #close()} after the call, in a finally. */
    ByteBuffer open(ByteBuffer buffer, int position, int length) {
        int end = position + length;
        int p = buffer.position();
        int l = buffer.limit();
        if (position < p) {
            duplicates++;
            ByteBuffer view = buffer.duplicate().clear();
            return view.limit(end).position(position);
        }
        borrowed = buffer;
        savedPosition = p;
        savedLimit = l;
        // mark <= p <= position <= end: neither move below sets a value under the mark
        if (end >= l) {
            buffer.limit(end).position(position);
        } else {
            buffer.position(position).limit(end);
        }
        return buffer;
    }

    /** Puts the borrowed buffer's position and limit back, if {@link #open} borrowed one. */
    void close() {
        ByteBuffer buffer = borrowed;
        if (buffer == null) {
            return;
        }
        borrowed = null;
        if (savedLimit >= buffer.limit()) {
            buffer.limit(savedLimit).position(savedPosition);
        } else {
            buffer.position(savedPosition).limit(savedLimit);
        }
    }

    /** Regions that needed a duplicate (started before the buffer's position). */
    long duplicates() {
        return duplicates;
    }
}
