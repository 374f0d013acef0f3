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
 * {@code struct io_uring_getevents_arg} (the IORING_ENTER_EXT_ARG argument of io_uring_enter) and
 * {@code struct io_uring_sync_cancel_reg} (the IORING_REGISTER_SYNC_CANCEL argument),
 * include/uapi/linux/io_uring.h (Linux 6.x).
 */
public final class EnterArgLayout {
    // struct io_uring_getevents_arg: 24 bytes
    public static final long GETEVENTS_SIGMASK_OFFSET = 0;    // __u64 sigmask
    public static final long GETEVENTS_SIGMASK_SZ_OFFSET = 8; // __u32 sigmask_sz
    public static final long GETEVENTS_MIN_WAIT_OFFSET = 12;  // __u32 min_wait_usec (pad before 6.12)
    public static final long GETEVENTS_TS_OFFSET = 16;        // __u64 ts: pointer to struct __kernel_timespec
    public static final long GETEVENTS_SIZE = 24;

    // struct io_uring_sync_cancel_reg: 64 bytes
    public static final long SYNC_CANCEL_ADDR_OFFSET = 0;     // __u64 addr (user_data to match)
    public static final long SYNC_CANCEL_FD_OFFSET = 8;       // __s32 fd
    public static final long SYNC_CANCEL_FLAGS_OFFSET = 12;   // __u32 flags (IORING_ASYNC_CANCEL_*)
    public static final long SYNC_CANCEL_TIMEOUT_OFFSET = 16; // struct __kernel_timespec timeout
    public static final long SYNC_CANCEL_SIZE = 64;

    public static final StructLayout GETEVENTS_ARG = MemoryLayout.structLayout(
            JAVA_LONG.withName("sigmask"),
            JAVA_INT.withName("sigmask_sz"),
            JAVA_INT.withName("min_wait_usec"),
            JAVA_LONG.withName("ts")).withName("io_uring_getevents_arg");

    public static final StructLayout SYNC_CANCEL_REG = MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_INT.withName("fd"),
            JAVA_INT.withName("flags"),
            dev.fibril.syscall.linux.TimespecLayout.LAYOUT.withName("timeout"),
            MemoryLayout.sequenceLayout(4, JAVA_LONG).withName("pad")).withName("io_uring_sync_cancel_reg");

    private EnterArgLayout() {
    }
}
