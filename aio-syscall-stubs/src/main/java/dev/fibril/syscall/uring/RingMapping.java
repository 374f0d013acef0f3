/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.syscall.linux.Libc;
import dev.fibril.syscall.linux.LinuxConstants;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.fibril.syscall.uring.IoUringConstants.*;
import static dev.fibril.syscall.uring.IoUringParamsLayout.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * One io_uring instance: its fd and the shared memory of its SQ ring, CQ ring and SQE array, as
 * io_uring_setup(2) describes them. With IORING_FEAT_SINGLE_MMAP the SQ and CQ rings share one
 * mapping. Opened and closed by the ring's owner; the segments are global (unchecked), so nothing
 * may touch them after {@link #close}.
 */
final class RingMapping {
    final int fd;
    final int setupFlags;
    final int features;
    final int sqEntries;
    final int cqEntries;
    final MemorySegment sqRing;
    final MemorySegment cqRing;
    final MemorySegment sqes;
    /** Offsets of the shared fields inside {@link #sqRing} / {@link #cqRing}, from io_uring_params. */
    final long sqHead, sqTail, sqFlags, sqArray, cqHead, cqTail, cqes;
    final int sqMask, cqMask;
    private final long sqRingSize, cqRingSize, sqesSize;
    private final boolean singleMmap;

    private RingMapping(int fd, int setupFlags, MemorySegment params, MemorySegment sqRing, MemorySegment cqRing,
                        MemorySegment sqes, boolean singleMmap) {
        this.fd = fd;
        this.setupFlags = setupFlags;
        this.features = params.get(JAVA_INT, FEATURES_OFFSET);
        this.sqEntries = params.get(JAVA_INT, SQ_ENTRIES_OFFSET);
        this.cqEntries = params.get(JAVA_INT, CQ_ENTRIES_OFFSET);
        this.sqHead = sqOff(params, SQ_HEAD_OFFSET);
        this.sqTail = sqOff(params, SQ_TAIL_OFFSET);
        this.sqFlags = sqOff(params, SQ_FLAGS_OFFSET);
        this.sqArray = sqOff(params, SQ_ARRAY_OFFSET);
        this.cqHead = cqOff(params, CQ_HEAD_OFFSET);
        this.cqTail = cqOff(params, CQ_TAIL_OFFSET);
        this.cqes = cqOff(params, CQ_CQES_OFFSET);
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        this.sqMask = sqRing.get(JAVA_INT, sqOff(params, SQ_RING_MASK_OFFSET));
        this.cqMask = cqRing.get(JAVA_INT, cqOff(params, CQ_RING_MASK_OFFSET));
        this.sqRingSize = sqRing.byteSize();
        this.cqRingSize = cqRing.byteSize();
        this.sqesSize = sqes.byteSize();
        this.singleMmap = singleMmap;
    }

    /**
     * Sets up a ring with {@code sqEntries} SQEs and {@code cqEntries} CQEs (the kernel rounds both
     * up to powers of two and clamps them: {@code flags} should hold IORING_SETUP_CQSIZE and
     * IORING_SETUP_CLAMP) and maps it. {@link IoUringFeatures#setupFlags} chooses the flags from
     * what the kernel was probed to accept. Returns the mapping, or throws {@link SetupException}
     * with the errno of the call that failed.
     */
    static RingMapping open(int sqEntries, int cqEntries, int flags) throws SetupException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment callState = Libc.allocateCallState(arena);
            MemorySegment params = arena.allocate(IoUringParamsLayout.LAYOUT);
            int fd = setup(callState, params, sqEntries, cqEntries, flags);
            if (fd < 0) {
                throw new SetupException("io_uring_setup", -fd);
            }
            try {
                return map(callState, fd, flags, params);
            } catch (SetupException e) {
                Libc.close(callState, fd);
                throw e;
            }
        }
    }

    private static int setup(MemorySegment callState, MemorySegment params, int sqEntries, int cqEntries, int flags) {
        params.fill((byte) 0);
        params.set(JAVA_INT, FLAGS_OFFSET, flags);
        params.set(JAVA_INT, CQ_ENTRIES_OFFSET, cqEntries);
        return IoUringSyscalls.setup(callState, sqEntries, params);
    }

    private static RingMapping map(MemorySegment callState, int fd, int flags, MemorySegment params) throws SetupException {
        int sqCount = params.get(JAVA_INT, SQ_ENTRIES_OFFSET);
        int cqCount = params.get(JAVA_INT, CQ_ENTRIES_OFFSET);
        boolean single = (params.get(JAVA_INT, FEATURES_OFFSET) & IORING_FEAT_SINGLE_MMAP) != 0;
        long sqSize = sqOff(params, SQ_ARRAY_OFFSET) + (long) sqCount * Integer.BYTES;
        long cqSize = cqOff(params, CQ_CQES_OFFSET) + (long) cqCount * CqeLayout.SIZE;
        if (single) {
            sqSize = cqSize = Math.max(sqSize, cqSize);
        }
        MemorySegment sq = mmap(callState, fd, sqSize, IORING_OFF_SQ_RING);
        MemorySegment cq = sq;
        MemorySegment sqes = MemorySegment.NULL;
        try {
            if (!single) {
                cq = mmap(callState, fd, cqSize, IORING_OFF_CQ_RING);
            }
            sqes = mmap(callState, fd, (long) sqCount * SqeLayout.SIZE, IORING_OFF_SQES);
        } catch (SetupException e) {
            Libc.munmap(callState, sq.address(), sq.byteSize());
            if (cq != sq) {
                Libc.munmap(callState, cq.address(), cq.byteSize());
            }
            throw e;
        }
        RingMapping ring = new RingMapping(fd, flags, params, sq, cq, sqes, single);
        // The SQ array maps ring positions to SQE indexes; identity once, so each submission
        // only has to write its SQE and the tail.
        for (int i = 0; i < sqCount; i++) {
            sq.set(JAVA_INT, ring.sqArray + (long) i * Integer.BYTES, i);
        }
        return ring;
    }

    private static MemorySegment mmap(MemorySegment callState, int fd, long size, long offset) throws SetupException {
        long address = Libc.mmap(callState, size, LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE,
                LinuxConstants.MAP_SHARED | LinuxConstants.MAP_POPULATE, fd, offset);
        if (address < 0) {
            throw new SetupException("mmap", (int) -address);
        }
        return MemorySegment.ofAddress(address).reinterpret(size);
    }

    private static long sqOff(MemorySegment params, long field) {
        return Integer.toUnsignedLong(params.get(JAVA_INT, SQ_OFF_OFFSET + field));
    }

    private static long cqOff(MemorySegment params, long field) {
        return Integer.toUnsignedLong(params.get(JAVA_INT, CQ_OFF_OFFSET + field));
    }

    boolean hasFeature(int feature) {
        return (features & feature) == feature;
    }

    /** Unmaps the rings and closes the fd; the kernel then cancels whatever is still in flight. */
    void close(MemorySegment callState) {
        Libc.munmap(callState, sqes.address(), sqesSize);
        if (!singleMmap) {
            Libc.munmap(callState, cqRing.address(), cqRingSize);
        }
        Libc.munmap(callState, sqRing.address(), sqRingSize);
        Libc.close(callState, fd);
    }

    /** A setup step failed with {@code errno}. */
    static final class SetupException extends Exception {
        final String call;
        final int errno;

        SetupException(String call, int errno) {
            super(call + " failed: " + LinuxErrno.name(errno), null, false, false);
            this.call = call;
            this.errno = errno;
        }
    }
}
