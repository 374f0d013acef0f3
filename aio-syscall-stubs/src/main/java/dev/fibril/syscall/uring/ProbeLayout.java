/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct io_uring_probe} followed by {@code struct io_uring_probe_op ops[]},
 * include/uapi/linux/io_uring.h (Linux 6.x), the argument of IORING_REGISTER_PROBE.
 */
public final class ProbeLayout {
    public static final long LAST_OP_OFFSET = 0; // __u8 last_op
    public static final long OPS_LEN_OFFSET = 1; // __u8 ops_len
    public static final long OPS_OFFSET = 16;    // struct io_uring_probe_op ops[]
    public static final long HEADER_SIZE = 16;

    // struct io_uring_probe_op, relative to its own start
    public static final long OP_OP_OFFSET = 0;    // __u8 op
    public static final long OP_FLAGS_OFFSET = 2; // __u16 flags (IO_URING_OP_*)
    public static final long OP_SIZE = 8;

    /** The most ops the probe can report (op is a __u8). */
    public static final int MAX_OPS = 256;

    public static final StructLayout PROBE_OP = MemoryLayout.structLayout(
            JAVA_BYTE.withName("op"),
            JAVA_BYTE.withName("resv"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("resv2")).withName("io_uring_probe_op");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_BYTE.withName("last_op"),
            JAVA_BYTE.withName("ops_len"),
            JAVA_SHORT.withName("resv"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv2"),
            MemoryLayout.sequenceLayout(MAX_OPS, PROBE_OP).withName("ops")).withName("io_uring_probe");

    private ProbeLayout() {
    }
}
