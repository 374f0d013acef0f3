/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct io_uring_sqe}, include/uapi/linux/io_uring.h (Linux 6.x): 64 bytes (the ring is not
 * set up with IORING_SETUP_SQE128). Unions are named by their first member; the aliases used here
 * are listed beside each offset.
 */
public final class SqeLayout {
    public static final long OPCODE_OFFSET = 0;       // __u8 opcode
    public static final long FLAGS_OFFSET = 1;        // __u8 flags (IOSQE_*)
    public static final long IOPRIO_OFFSET = 2;       // __u16 ioprio
    public static final long FD_OFFSET = 4;           // __s32 fd
    public static final long OFF_OFFSET = 8;          // __u64 off | addr2
    public static final long ADDR_OFFSET = 16;        // __u64 addr | splice_off_in
    public static final long LEN_OFFSET = 24;         // __u32 len
    public static final long OP_FLAGS_OFFSET = 28;    // __u32 rw_flags | fsync_flags | poll32_events | msg_flags |
                                                      //   timeout_flags | accept_flags | cancel_flags | open_flags |
                                                      //   splice_flags | nop_flags
    public static final long USER_DATA_OFFSET = 32;   // __u64 user_data
    public static final long BUF_INDEX_OFFSET = 40;   // __u16 buf_index | buf_group
    public static final long PERSONALITY_OFFSET = 42; // __u16 personality
    public static final long SPLICE_FD_IN_OFFSET = 44; // __s32 splice_fd_in | file_index
    public static final long ADDR3_OFFSET = 48;       // __u64 addr3
    public static final long SIZE = 64;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"),
            JAVA_BYTE.withName("flags"),
            JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"),
            JAVA_LONG.withName("off"),
            JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"),
            JAVA_INT.withName("rw_flags"),
            JAVA_LONG.withName("user_data"),
            JAVA_SHORT.withName("buf_index"),
            JAVA_SHORT.withName("personality"),
            JAVA_INT.withName("splice_fd_in"),
            JAVA_LONG.withName("addr3"),
            JAVA_LONG.withName("__pad2")).withName("io_uring_sqe");

    private SqeLayout() {
    }
}
