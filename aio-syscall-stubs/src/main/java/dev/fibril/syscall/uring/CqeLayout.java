/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code struct io_uring_cqe}, include/uapi/linux/io_uring.h (Linux 6.x): 16 bytes (the ring is
 * not set up with IORING_SETUP_CQE32).
 */
public final class CqeLayout {
    public static final long USER_DATA_OFFSET = 0; // __u64 user_data
    public static final long RES_OFFSET = 8;       // __s32 res
    public static final long FLAGS_OFFSET = 12;    // __u32 flags (IORING_CQE_F_*)
    public static final long SIZE = 16;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"),
            JAVA_INT.withName("res"),
            JAVA_INT.withName("flags")).withName("io_uring_cqe");

    private CqeLayout() {
    }
}
