/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.syscall.linux.NativeMemory;

import java.lang.foreign.MemorySegment;
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
 *
 * <p>A heap buffer goes through the ring's own native buffer instead (at most {@link #BOUNCE}
 * bytes per call: a short transfer, as io_uring's bounce buffers make): given a heap buffer, NIO
 * would copy through a temporary direct buffer of its own, which at the JDK's direct-memory limit
 * waits for the collector, on the carrier's thread, inside a section or the loop. The bounce is
 * {@link NativeMemory}, made on first use and freed with the ring ({@link #free}); a read copies
 * out what it got ({@link #filled}). Without native memory for it, the heap buffer goes to NIO.
 */
final class BufferRegion {
    /** Bytes a heap-buffer call moves at most: the bounce buffer's size. */
    static final int BOUNCE = 64 * 1024;

    private ByteBuffer borrowed;
    private MemorySegment bounceMemory;
    private ByteBuffer bounce;
    /** The heap buffer the bounce stands for during a call, and where its region starts; null when none. */
    private ByteBuffer heap;
    private int heapPosition;
    private int savedPosition;
    private int savedLimit;
    private long duplicates;

    /**
     * The buffer to hand to NIO, positioned on the region; {@code fills}: the call reads into it.
     * Call {@link #close()} after the call, in a finally.
     */
    ByteBuffer open(ByteBuffer buffer, int position, int length, boolean fills) {
        if (!buffer.isDirect() && bounce(length) != null) {
            int n = Math.min(length, BOUNCE);
            heap = buffer;
            heapPosition = position;
            bounce.clear().limit(n);
            if (!fills) {
                // what the write sends; through the array where there is one, since a region may run
                // past the limit up to the capacity, which the ByteBuffer overload refuses
                if (buffer.hasArray()) {
                    bounce.put(0, buffer.array(), buffer.arrayOffset() + position, n);
                } else {
                    bounce.put(0, buffer.duplicate().clear(), position, n); // read-only: one view
                }
            }
            return bounce;
        }
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

    /** The bounce, made on first use; null with no native memory for it. */
    private ByteBuffer bounce(int length) {
        if (bounce == null && length > 0) {
            bounceMemory = NativeMemory.allocate(BOUNCE, 64);
            bounce = bounceMemory == null ? null : bounceMemory.asByteBuffer();
        }
        return bounce;
    }

    /** After a read into the buffer {@link #open} returned: copies the {@code n} bytes it got to the heap buffer; returns n. */
    int filled(int n) {
        if (heap != null && n > 0) {
            bounce.get(0, heap.array(), heap.arrayOffset() + heapPosition, n); // a buffer a read fills is writable
        }
        return n;
    }

    /** Puts the borrowed buffer's position and limit back, if {@link #open} borrowed one. */
    void close() {
        heap = null;
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

    /** The ring closed: frees the bounce (no call is in progress: each is synchronous). */
    void free() {
        if (bounceMemory != null) {
            NativeMemory.free(bounceMemory);
            bounceMemory = null;
            bounce = null;
        }
    }

    /** Regions that needed a duplicate (started before the buffer's position). */
    long duplicates() {
        return duplicates;
    }
}
