/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.linux;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** {@code struct __kernel_timespec}, include/uapi/linux/time_types.h (Linux 6.x): 16 bytes on every arch. */
public final class TimespecLayout {
    public static final long TV_SEC_OFFSET = 0;  // __kernel_time64_t tv_sec
    public static final long TV_NSEC_OFFSET = 8; // long long tv_nsec
    public static final long SIZE = 16;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec")).withName("__kernel_timespec");

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private TimespecLayout() {
    }

    /** Writes {@code nanos} (not negative) as a timespec at {@code offset}. */
    public static void setNanos(MemorySegment segment, long offset, long nanos) {
        segment.set(JAVA_LONG, offset + TV_SEC_OFFSET, nanos / NANOS_PER_SECOND);
        segment.set(JAVA_LONG, offset + TV_NSEC_OFFSET, nanos % NANOS_PER_SECOND);
    }
}
