/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.spi.Op;

import java.util.Locale;

/**
 * The optional io_uring features Fibril uses, each probed once per JVM ({@link IoUringProbe}) and
 * each switchable off with {@code -Dfibril.io_uring.<name>=false} ({@link #propertyName()}).
 * {@link #since} is the first mainline kernel that has it, for the log line that says why one is off.
 */
public enum IoUringFeature {
    /** IORING_SETUP_R_DISABLED + IORING_REGISTER_ENABLE_RINGS: a ring is enabled by the thread that drives it. */
    R_DISABLED("5.10"),
    /** IORING_SETUP_SUBMIT_ALL: a bad SQE does not stop the rest of the batch. */
    SUBMIT_ALL("5.18"),
    /** IORING_SETUP_COOP_TASKRUN: no IPI to run completion work; it runs when the ring is entered. */
    COOP_TASKRUN("5.19"),
    /** IORING_SETUP_TASKRUN_FLAG: the kernel sets IORING_SQ_TASKRUN when completion work waits. */
    TASKRUN_FLAG("5.19"),
    /** IORING_SETUP_SINGLE_ISSUER: one task submits; only with the carrier hand-off off. */
    SINGLE_ISSUER("6.0"),
    /** IORING_SETUP_DEFER_TASKRUN: completion work runs only when the submitter waits; needs SINGLE_ISSUER. */
    DEFER_TASKRUN("6.1"),
    /** IORING_REGISTER_SYNC_CANCEL: close(fd) cancels that fd's requests before closing. */
    SYNC_CANCEL("6.0"),
    /** IORING_REGISTER_PBUF_RING: provided buffer rings, the kernel picks a buffer when data arrives. */
    PBUF_RING("5.19"),
    /** IOU_PBUF_RING_INC: a provided buffer is consumed in pieces, several receives per buffer. */
    PBUF_RING_INC("6.12"),
    /**
     * IORING_ACCEPT_MULTISHOT: one ACCEPT on a listening socket accepts every connection, each fd
     * a completion of its own, until the runtime cancels it (its queue of accepted fds is full, or
     * the channel closes) or the kernel ends it.
     */
    ACCEPT_MULTISHOT("5.19"),
    /**
     * IORING_RECVSEND_POLL_FIRST on a receive whose caller has just read all there was (an armed
     * receive, {@code receiveLater}; a read after a short one): the kernel arms readiness at once
     * instead of first trying a receive that finds nothing.
     */
    RECV_POLL_FIRST("5.19"),
    /**
     * IORING_RECV_MULTISHOT on a buffer-select receive (needs pbuf_ring): one RECV stays in the
     * ring and completes each time bytes arrive, each completion with a buffer of the carrier's
     * ring, until the runtime cancels it or the kernel ends it. An armed receive
     * ({@code receiveLater}) uses it, so a connection that goes on reading submits no receive per read.
     */
    RECV_MULTISHOT("6.0"),
    /**
     * IORING_OP_SEND_ZC: a SEND of at least the threshold ({@code -Dfibril.io_uring.send_zc_threshold})
     * goes without the kernel's copy; its buffer is held until the kernel's notification.
     */
    SEND_ZC("6.0", Op.SEND_ZC),
    /** IORING_OP_OPENAT: a fibril's open is a ring request, so a slow file system parks the fibril, not its carrier. */
    OPENAT("5.6", Op.OPENAT),
    /** IORING_OP_CLOSE: a fibril's close is a ring request (a close can flush, on NFS for one). */
    CLOSE("5.6", Op.CLOSE),
    /** IORING_OP_STATX: a file channel's size() is a ring request. */
    STATX("5.6", Op.STATX),
    /** IORING_OP_FTRUNCATE: a file channel's truncate() is a ring request. */
    FTRUNCATE("6.9", Op.FTRUNCATE),
    /** IORING_OP_SOCKET: a fibril's new socket is a ring request. */
    SOCKET("5.19", Op.SOCKET);

    /** The first mainline Linux version with the feature. */
    public final String since;
    /** The {@link Op} that the feature is, for a ring opcode the kernel must list (IORING_REGISTER_PROBE); -1 otherwise. */
    public final int op;

    IoUringFeature(String since) {
        this(since, -1);
    }

    IoUringFeature(String since, int op) {
        this.since = since;
        this.op = op;
    }

    /** The feature that is ring opcode {@code op}, or null when {@code op} is not an optional one. */
    public static IoUringFeature ofOp(int op) {
        return switch (op) {
            case Op.OPENAT -> OPENAT;
            case Op.CLOSE -> CLOSE;
            case Op.STATX -> STATX;
            case Op.FTRUNCATE -> FTRUNCATE;
            case Op.SOCKET -> SOCKET;
            default -> null;
        };
    }

    /** The lower-case name used in properties, logs and {@link dev.fibril.aio.BackendFeatures}. */
    public String featureName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code fibril.io_uring.<name>}: set to {@code false} to switch the feature off. */
    public String propertyName() {
        return "fibril.io_uring." + featureName();
    }
}
