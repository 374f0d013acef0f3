package dev.fibril.syscall.uring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Native buffers of one size for requests whose own buffer the kernel cannot use in place (heap
 * buffers) or that need a copy (an OPENAT path, which needs a NUL). A write copies in before the
 * SQE is written; a read copies out the {@code res} bytes after its CQE is reaped. A buffer goes
 * back to the pool only when its request's CQE is reaped, so the kernel never sees it reused.
 * Owner thread only. Grows by allocating more buffers when all are taken; steady state allocates
 * nothing.
 */
final class BounceBufferPool {
    private final Arena arena;
    private final int bufferSize;
    private MemorySegment[] segments;
    /** Direct views of {@link #segments}, for absolute bulk copies from and to any ByteBuffer. */
    private ByteBuffer[] views;
    private int[] free;
    private int freeTop;

    BounceBufferPool(Arena arena, int bufferSize, int initialBuffers) {
        this.arena = arena;
        this.bufferSize = bufferSize;
        this.segments = new MemorySegment[0];
        this.views = new ByteBuffer[0];
        this.free = new int[0];
        grow(Math.max(1, initialBuffers));
    }

    int bufferSize() {
        return bufferSize;
    }

    /** Buffers allocated so far (taken or free). */
    int allocated() {
        return segments.length;
    }

    int acquire() {
        if (freeTop == 0) {
            grow(segments.length);
        }
        return free[--freeTop];
    }

    void release(int index) {
        free[freeTop++] = index;
    }

    long address(int index) {
        return segments[index].address();
    }

    MemorySegment segment(int index) {
        return segments[index];
    }

    /** Copies {@code src[pos, pos + length)} to the start of buffer {@code index}; length at most {@link #bufferSize}. */
    void copyIn(int index, ByteBuffer src, int pos, int length) {
        views[index].put(0, src, pos, length);
    }

    /** Copies the first {@code length} bytes of buffer {@code index} to {@code dst[pos, pos + length)}. */
    void copyOut(int index, ByteBuffer dst, int pos, int length) {
        dst.put(pos, views[index], 0, length);
    }

    private void grow(int more) {
        int old = segments.length;
        int size = old + more;
        segments = Arrays.copyOf(segments, size);
        views = Arrays.copyOf(views, size);
        int[] newFree = new int[size];
        System.arraycopy(free, 0, newFree, 0, freeTop);
        free = newFree;
        for (int i = size - 1; i >= old; i--) {
            segments[i] = arena.allocate(bufferSize, 4096);
            views[i] = segments[i].asByteBuffer();
            free[freeTop++] = i;
        }
    }
}
