/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.syscall.linux.NativeMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Native buffers of one size for requests whose own buffer the kernel cannot use in place (heap
 * buffers) or that need a copy (an OPENAT path, which needs a NUL). A write copies in before the
 * SQE is written; a read copies out the {@code res} bytes after its CQE is reaped. A buffer goes
 * back to the pool only when its request's CQE is reaped, so the kernel never sees it reused.
 *
 * <p>Size: the first {@code retained} buffers live in the ring's arena for the ring's life. When
 * all are taken the pool makes more from {@link NativeMemory} (never an arena: at the JDK's
 * direct-memory limit an arena allocation waits for the collector, and this runs in a carrier's
 * section, whose thread must not wait); such a buffer is kept while fewer than {@code retained}
 * buffers are free and freed otherwise, so the native memory of a burst goes back once the burst
 * is over. With no native memory left, {@link #acquire} says so and the request fails with
 * ENOMEM. Sockets do not hold bounce buffers while they wait for data (the runtime polls before a
 * heap-buffer receive), so bursts are short. Owner thread only; steady state allocates nothing.
 */
final class BounceBufferPool {
    private final Arena arena;
    private final int bufferSize;
    private final int retained;
    /** null where a dropped extra buffer was; its index is then on {@link #vacant}. */
    private MemorySegment[] segments;
    /** Direct views of {@link #segments}, for absolute bulk copies from and to any ByteBuffer. */
    private ByteBuffer[] views;
    private int[] free;
    private int freeTop;
    private int[] vacant;
    private int vacantTop;
    private int live;
    /** Buffers taken and not released; release of a buffer not taken is a bug, thrown at once. */
    private int inUse;
    private long releases;

    BounceBufferPool(Arena arena, int bufferSize, int initialBuffers) {
        this.arena = arena;
        this.bufferSize = bufferSize;
        this.retained = Math.max(1, initialBuffers);
        this.segments = new MemorySegment[retained];
        this.views = new ByteBuffer[retained];
        this.free = new int[retained];
        this.vacant = new int[0];
        for (int i = retained - 1; i >= 0; i--) {
            install(i, arena.allocate(bufferSize, 4096));
            free[freeTop++] = i;
        }
    }

    int bufferSize() {
        return bufferSize;
    }

    /** Buffers that exist now (taken or free). */
    int allocated() {
        return live;
    }

    /** Buffers taken and not given back yet (a SEND_ZC's until its notification). */
    int inUse() {
        return inUse;
    }

    /** Releases so far: with {@link #inUse()}, what a test counts to see each buffer go back once. */
    long releases() {
        return releases;
    }

    /** A buffer's index, or -1 when all are taken and no native memory is left for another. */
    int acquire() {
        if (freeTop > 0) {
            inUse++;
            return free[--freeTop];
        }
        MemorySegment burst = NativeMemory.allocate(bufferSize, 4096);
        if (burst == null) {
            return -1;
        }
        int index = vacantTop > 0 ? vacant[--vacantTop] : grow();
        install(index, burst);
        inUse++;
        return index;
    }

    /** @throws IllegalStateException if every buffer is free already (a double release) */
    void release(int index) {
        if (inUse == 0) {
            throw new IllegalStateException("bounce buffer " + index + " released, but none is taken");
        }
        inUse--;
        releases++;
        if (index >= retained && freeTop >= retained) {
            NativeMemory.free(segments[index]); // enough spare buffers: this burst buffer goes back
            segments[index] = null;
            views[index] = null;
            live--;
            vacant[vacantTop++] = index;
            return;
        }
        free[freeTop++] = index;
    }

    /**
     * Frees the burst buffers (the retained ones go with the ring's arena). Only once the kernel
     * holds no request of the ring: the ring's close, after it drained.
     */
    void freeBursts() {
        for (int i = retained; i < segments.length; i++) {
            if (segments[i] != null) {
                NativeMemory.free(segments[i]);
                segments[i] = null;
                views[i] = null;
                live--;
            }
        }
    }

    long address(int index) {
        return segments[index].address();
    }

    MemorySegment segment(int index) {
        return segments[index];
    }

    /** Copies {@code src[pos, pos + length)} to the start of buffer {@code index}; length at most {@link #bufferSize}. */
    void copyIn(int index, ByteBuffer src, int pos, int length) {
        // Through the array where there is one: a request's region may run past the buffer's limit
        // up to its capacity, which the ByteBuffer overload refuses.
        if (src.hasArray()) {
            views[index].put(0, src.array(), src.arrayOffset() + pos, length);
        } else {
            // a read-only heap buffer has no array to reach: a view with its limit at the capacity
            views[index].put(0, pos + length > src.limit() ? src.duplicate().clear() : src, pos, length);
        }
    }

    /** Copies the first {@code length} bytes of buffer {@code index} to {@code dst[pos, pos + length)}. */
    void copyOut(int index, ByteBuffer dst, int pos, int length) {
        if (dst.hasArray()) {
            views[index].get(0, dst.array(), dst.arrayOffset() + pos, length);
        } else {
            dst.put(pos, views[index], 0, length);
        }
    }

    private void install(int index, MemorySegment segment) {
        segments[index] = segment;
        views[index] = segment.asByteBuffer();
        live++;
    }

    /** Makes room for more buffers; returns the first new index (the others go on {@link #vacant}). */
    private int grow() {
        int old = segments.length;
        int size = old * 2;
        segments = Arrays.copyOf(segments, size);
        views = Arrays.copyOf(views, size);
        free = Arrays.copyOf(free, size);
        vacant = Arrays.copyOf(vacant, size);
        for (int i = size - 1; i > old; i--) {
            vacant[vacantTop++] = i;
        }
        return old;
    }
}
