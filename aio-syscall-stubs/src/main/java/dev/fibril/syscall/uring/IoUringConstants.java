/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

/** Flag and opcode values of the io_uring ABI, include/uapi/linux/io_uring.h (Linux 6.x). */
public final class IoUringConstants {
    // syscall numbers: the same on every arch since Linux 5.1 (include/uapi/asm-generic/unistd.h)
    public static final long NR_IO_URING_SETUP = 425;
    public static final long NR_IO_URING_ENTER = 426;
    public static final long NR_IO_URING_REGISTER = 427;

    // io_uring_setup() flags
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    public static final int IORING_SETUP_R_DISABLED = 1 << 6;     // 5.10
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;   // 5.18
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8; // 5.19
    public static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9; // 5.19
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12; // 6.0
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13; // 6.1

    // io_uring_params->features
    public static final int IORING_FEAT_SINGLE_MMAP = 1 << 0; // 5.4
    public static final int IORING_FEAT_NODROP = 1 << 1;      // 5.5
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;     // 5.11

    // io_uring_enter() flags
    public static final int IORING_ENTER_GETEVENTS = 1 << 0;
    public static final int IORING_ENTER_EXT_ARG = 1 << 3;

    // sq_ring->flags
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
    public static final int IORING_SQ_TASKRUN = 1 << 2;

    // mmap offsets
    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;

    // io_uring_register() opcodes
    public static final int IORING_REGISTER_FILES = 2;         // 5.1
    public static final int IORING_REGISTER_PROBE = 8;         // 5.6
    public static final int IORING_REGISTER_ENABLE_RINGS = 12; // 5.10
    public static final int IORING_REGISTER_PBUF_RING = 22;    // 5.19
    public static final int IORING_UNREGISTER_PBUF_RING = 23;  // 5.19
    public static final int IORING_REGISTER_SYNC_CANCEL = 24;  // 6.0

    // io_uring_buf_reg->flags
    public static final int IOU_PBUF_RING_INC = 1 << 1;        // 6.12

    // cqe->flags
    public static final int IORING_CQE_F_BUFFER = 1 << 0;
    public static final int IORING_CQE_F_MORE = 1 << 1;
    public static final int IORING_CQE_F_NOTIF = 1 << 3;       // 6.0: SEND_ZC's notification, the buffer is free
    public static final int IORING_CQE_F_BUF_MORE = 1 << 4;    // 6.12: an incremental buffer has room left
    public static final int IORING_CQE_BUFFER_SHIFT = 16;

    // sqe->flags
    public static final int IOSQE_FIXED_FILE = 1 << 0;
    public static final int IOSQE_IO_LINK = 1 << 2;
    public static final int IOSQE_BUFFER_SELECT = 1 << 5;

    // sqe->cancel_flags, sqe->nop_flags
    public static final int IORING_ASYNC_CANCEL_ALL = 1 << 0;
    public static final int IORING_ASYNC_CANCEL_FD = 1 << 1;
    public static final int IORING_ASYNC_CANCEL_ANY = 1 << 2;
    public static final int IORING_NOP_INJECT_RESULT = 1 << 0;

    // sqe->ioprio of ACCEPT and SEND_ZC
    public static final int IORING_ACCEPT_MULTISHOT = 1 << 0;      // 5.19
    /** ioprio of RECV and SEND: arm readiness first instead of trying the transfer once. */
    public static final int IORING_RECVSEND_POLL_FIRST = 1 << 0;  // 5.19
    public static final int IORING_RECV_MULTISHOT = 1 << 1;       // 6.0, with IOSQE_BUFFER_SELECT only
    public static final int IORING_SEND_ZC_REPORT_USAGE = 1 << 3;  // 6.2
    /** A SEND_ZC notification's res bit: the kernel copied the data after all (loopback does). */
    public static final int IORING_NOTIF_USAGE_ZC_COPIED = 1 << 31;

    /** io_uring_probe_op->flags: the opcode is supported. */
    public static final int IO_URING_OP_SUPPORTED = 1 << 0;

    /** IORING_OP_READ (5.6), used for the ring's own eventfd read; {@link dev.fibril.aio.spi.Op#READ}. */
    public static final byte IORING_OP_READ = 22;

    private IoUringConstants() {
    }
}
