/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

/**
 * Sizes of each ring an {@link IoUringBackend} opens.
 *
 * @param sqEntries            submission queue entries (the kernel rounds up to a power of two)
 * @param cqEntries            completion queue entries, at least {@code sqEntries}; the kernel keeps
 *                             completions that do not fit (IORING_FEAT_NODROP) but a CQ that holds
 *                             every request in flight avoids that slow path
 * @param initialSlots         in-flight table slots to start with; the table grows by this many
 * @param bounceBufferSize     bytes per native buffer for heap-buffer requests; a transfer through
 *                             one is clamped to it; also the longest OPENAT path (minus the NUL)
 * @param initialBounceBuffers native buffers to preallocate; the pool doubles when all are taken
 */
public record IoUringConfig(int sqEntries, int cqEntries, int initialSlots, int bounceBufferSize,
                            int initialBounceBuffers) {
    /** 256 SQEs, 1024 CQEs, 512 slots, 8 bounce buffers of 64 KiB. */
    public static final IoUringConfig DEFAULT = new IoUringConfig(256, 1024, 512, 64 * 1024, 8);

    public IoUringConfig {
        if (sqEntries < 2 || sqEntries > 32768) {
            throw new IllegalArgumentException("sqEntries must be in [2, 32768], was " + sqEntries);
        }
        if (cqEntries < sqEntries || cqEntries > 65536) {
            throw new IllegalArgumentException("cqEntries must be in [sqEntries, 65536], was " + cqEntries);
        }
        if (initialSlots < 1) {
            throw new IllegalArgumentException("initialSlots must be positive, was " + initialSlots);
        }
        if (bounceBufferSize < 4096) {
            throw new IllegalArgumentException("bounceBufferSize must be at least 4096 (PATH_MAX), was " + bounceBufferSize);
        }
        if (initialBounceBuffers < 1) {
            throw new IllegalArgumentException("initialBounceBuffers must be positive, was " + initialBounceBuffers);
        }
    }

    /** The same sizes with other queue lengths. */
    public IoUringConfig withEntries(int sq, int cq) {
        return new IoUringConfig(sq, cq, initialSlots, bounceBufferSize, initialBounceBuffers);
    }
}
