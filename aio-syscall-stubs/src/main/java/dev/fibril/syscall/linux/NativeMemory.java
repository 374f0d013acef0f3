/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Native memory the runtime takes for itself on a carrier's thread: libc's {@code aligned_alloc}
 * and {@code free}, never an {@code Arena} or {@code ByteBuffer.allocateDirect}.
 *
 * <p>Why: the JDK counts arena and direct-buffer memory against {@code -XX:MaxDirectMemorySize},
 * and at the limit an allocation waits for the collector's reference processing and sleeps
 * ({@code java.nio.Bits.reserveMemory}) before it throws. Inside a carrier's section the fibril is
 * pinned, so that wait holds the carrier's thread, and the fibril whose direct buffer the wait is
 * for may need that very thread to run: a carrier stuck for good (seen: a burst of heap-buffer
 * reads needing bounce buffers while other fibrils allocated 8 MiB direct buffers). Memory from
 * here never waits: it is there at once, or the caller gets null and fails its request with
 * ENOMEM. It is not counted against the direct-memory limit; its owners bound it themselves and
 * free it explicitly. Any thread.
 */
public final class NativeMemory {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle ALIGNED_ALLOC = LINKER.downcallHandle(Libc.symbol("aligned_alloc"),
            FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(Libc.symbol("free"),
            FunctionDescriptor.ofVoid(ADDRESS));

    private NativeMemory() {
    }

    /**
     * {@code size} bytes aligned to {@code alignment} (a power of two), not zeroed; null when libc
     * has none to give. Never blocks on the collector.
     *
     * @throws IllegalArgumentException for a size below 1 or an alignment that is not a power of two
     */
    public static MemorySegment allocate(long size, long alignment) {
        if (size < 1 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("native allocation of " + size + " bytes aligned to " + alignment);
        }
        long rounded = (size + alignment - 1) & -alignment; // aligned_alloc wants a multiple of the alignment
        MemorySegment p;
        try {
            p = (MemorySegment) ALIGNED_ALLOC.invokeExact(alignment, rounded);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed to link", t);
        }
        return p.address() == 0 ? null : p.reinterpret(size);
    }

    /** Gives back what {@link #allocate} returned; the segment must not be used after. */
    public static void free(MemorySegment segment) {
        try {
            FREE.invokeExact(segment);
        } catch (Throwable t) {
            throw new IllegalStateException("free failed to link", t);
        }
    }
}
