/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio.spi;

/**
 * Request opcodes. The numbers are io_uring's {@code IORING_OP_*} values (include/uapi/linux/io_uring.h,
 * Linux 6.x), so the io_uring backend writes them into the SQE unchanged; other backends switch on them.
 */
public final class Op {
    public static final byte NOP = 0;
    public static final byte FSYNC = 3;
    public static final byte POLL_ADD = 6;
    public static final byte TIMEOUT = 11;
    public static final byte ACCEPT = 13;
    public static final byte ASYNC_CANCEL = 14;
    public static final byte LINK_TIMEOUT = 15;
    public static final byte CONNECT = 16;
    public static final byte OPENAT = 18;
    public static final byte CLOSE = 19;
    public static final byte STATX = 21;
    public static final byte READ = 22;
    public static final byte WRITE = 23;
    public static final byte SEND = 26;
    public static final byte RECV = 27;
    public static final byte SPLICE = 30;
    public static final byte SHUTDOWN = 34;
    public static final byte SOCKET = 45;
    /**
     * Zero-copy send (Linux 6.0). The runtime never enqueues it: an io_uring ring sends a SEND this
     * way when it is long enough (see {@code IoUringFeature.SEND_ZC}); named here for the probe and logs.
     */
    public static final byte SEND_ZC = 47;
    public static final byte FTRUNCATE = 55;

    /** Number of distinct opcode slots, for per-opcode counter arrays. */
    public static final int SLOTS = 64;

    private Op() {
    }

    public static String name(int op) {
        return switch (op) {
            case NOP -> "nop";
            case FSYNC -> "fsync";
            case POLL_ADD -> "poll_add";
            case TIMEOUT -> "timeout";
            case ACCEPT -> "accept";
            case ASYNC_CANCEL -> "async_cancel";
            case LINK_TIMEOUT -> "link_timeout";
            case CONNECT -> "connect";
            case OPENAT -> "openat";
            case CLOSE -> "close";
            case STATX -> "statx";
            case READ -> "read";
            case WRITE -> "write";
            case SEND -> "send";
            case RECV -> "recv";
            case SPLICE -> "splice";
            case SHUTDOWN -> "shutdown";
            case SOCKET -> "socket";
            case SEND_ZC -> "send_zc";
            case FTRUNCATE -> "ftruncate";
            default -> "op" + op;
        };
    }
}
