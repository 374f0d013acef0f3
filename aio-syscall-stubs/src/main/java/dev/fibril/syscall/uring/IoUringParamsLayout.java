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
 * {@code struct io_uring_params} with its {@code struct io_sqring_offsets} and
 * {@code struct io_cqring_offsets}, include/uapi/linux/io_uring.h (Linux 6.x): 120 bytes.
 * The ring offsets are where, in the mmapped rings, the kernel put each field.
 */
public final class IoUringParamsLayout {
    public static final long SQ_ENTRIES_OFFSET = 0;     // __u32 sq_entries
    public static final long CQ_ENTRIES_OFFSET = 4;     // __u32 cq_entries
    public static final long FLAGS_OFFSET = 8;          // __u32 flags
    public static final long SQ_THREAD_CPU_OFFSET = 12; // __u32 sq_thread_cpu
    public static final long SQ_THREAD_IDLE_OFFSET = 16; // __u32 sq_thread_idle
    public static final long FEATURES_OFFSET = 20;      // __u32 features
    public static final long WQ_FD_OFFSET = 24;         // __u32 wq_fd
    public static final long SQ_OFF_OFFSET = 40;        // struct io_sqring_offsets sq_off
    public static final long CQ_OFF_OFFSET = 80;        // struct io_cqring_offsets cq_off
    public static final long SIZE = 120;

    // struct io_sqring_offsets, relative to SQ_OFF_OFFSET
    public static final long SQ_HEAD_OFFSET = 0;
    public static final long SQ_TAIL_OFFSET = 4;
    public static final long SQ_RING_MASK_OFFSET = 8;
    public static final long SQ_RING_ENTRIES_OFFSET = 12;
    public static final long SQ_FLAGS_OFFSET = 16;
    public static final long SQ_DROPPED_OFFSET = 20;
    public static final long SQ_ARRAY_OFFSET = 24;

    // struct io_cqring_offsets, relative to CQ_OFF_OFFSET
    public static final long CQ_HEAD_OFFSET = 0;
    public static final long CQ_TAIL_OFFSET = 4;
    public static final long CQ_RING_MASK_OFFSET = 8;
    public static final long CQ_RING_ENTRIES_OFFSET = 12;
    public static final long CQ_OVERFLOW_OFFSET = 16;
    public static final long CQ_CQES_OFFSET = 20;
    public static final long CQ_FLAGS_OFFSET = 24;

    public static final StructLayout SQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"),
            JAVA_INT.withName("resv1"),
            JAVA_LONG.withName("user_addr")).withName("io_sqring_offsets");

    public static final StructLayout CQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("overflow"),
            JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("resv1"),
            JAVA_LONG.withName("user_addr")).withName("io_cqring_offsets");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"),
            JAVA_INT.withName("cq_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"),
            JAVA_INT.withName("sq_thread_idle"),
            JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            SQRING_OFFSETS.withName("sq_off"),
            CQRING_OFFSETS.withName("cq_off")).withName("io_uring_params");

    private IoUringParamsLayout() {
    }
}
