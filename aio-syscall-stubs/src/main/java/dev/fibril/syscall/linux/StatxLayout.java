/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.linux;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct statx}, include/uapi/linux/stat.h (Linux 6.x). The same on every arch, unlike
 * {@code struct stat}; only the leading fields up to {@code stx_size} are named, the rest is padding
 * up to the 256 bytes the kernel writes.
 */
public final class StatxLayout {
    public static final long STX_MASK_OFFSET = 0;  // __u32 stx_mask
    public static final long STX_MODE_OFFSET = 28; // __u16 stx_mode
    public static final long STX_SIZE_OFFSET = 40; // __u64 stx_size
    public static final long SIZE = 256;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("stx_mask"),
            JAVA_INT.withName("stx_blksize"),
            JAVA_LONG.withName("stx_attributes"),
            JAVA_INT.withName("stx_nlink"),
            JAVA_INT.withName("stx_uid"),
            JAVA_INT.withName("stx_gid"),
            JAVA_SHORT.withName("stx_mode"),
            JAVA_SHORT.withName("__spare0"),
            JAVA_LONG.withName("stx_ino"),
            JAVA_LONG.withName("stx_size"),
            MemoryLayout.paddingLayout(SIZE - 48)).withName("statx");

    private StatxLayout() {
    }
}
