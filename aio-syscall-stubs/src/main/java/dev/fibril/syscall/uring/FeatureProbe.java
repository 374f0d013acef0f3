/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.syscall.linux.Libc;
import dev.fibril.syscall.linux.LinuxConstants;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

import static dev.fibril.syscall.uring.IoUringConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Asks the kernel, feature by feature, what {@link IoUringFeature}s it has: a setup flag by
 * setting up a 4-entry ring with it (and what it depends on), a register opcode by calling it on
 * the probe's own ring, a ring opcode by its entry in the IORING_REGISTER_PROBE table. Called once per JVM by {@link IoUringProbe}, on a kernel where a plain ring
 * works. Returns, for each feature the kernel refuses, why.
 */
final class FeatureProbe {
    private static final int PROBE_BUFFER_BYTES = 4096;

    private FeatureProbe() {
    }

    static Map<IoUringFeature, String> run(MemorySegment callState, RingMapping ring, long[] ops) {
        Map<IoUringFeature, String> refused = new EnumMap<>(IoUringFeature.class);
        for (IoUringFeature f : IoUringFeature.values()) {
            if (f.op >= 0 && (ops[f.op >>> 6] & 1L << f.op) == 0) {
                refused.put(f, "kernel too old (IORING_REGISTER_PROBE does not list IORING_OP_"
                        + f.name() + "; needs Linux " + f.since + "): the synchronous call runs on the carrier instead");
            }
        }
        setupFlag(refused, callState, IoUringFeature.R_DISABLED, IORING_SETUP_R_DISABLED);
        setupFlag(refused, callState, IoUringFeature.SUBMIT_ALL, IORING_SETUP_SUBMIT_ALL);
        setupFlag(refused, callState, IoUringFeature.COOP_TASKRUN, IORING_SETUP_COOP_TASKRUN);
        setupFlag(refused, callState, IoUringFeature.TASKRUN_FLAG, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
        setupFlag(refused, callState, IoUringFeature.SINGLE_ISSUER, IORING_SETUP_SINGLE_ISSUER);
        setupFlag(refused, callState, IoUringFeature.DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
        syncCancel(refused, callState, ring);
        onNoFile(refused, callState, ring, IoUringFeature.ACCEPT_MULTISHOT, dev.fibril.aio.spi.Op.ACCEPT, IORING_ACCEPT_MULTISHOT, 0,
                "IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT");
        onNoFile(refused, callState, ring, IoUringFeature.RECV_POLL_FIRST, dev.fibril.aio.spi.Op.RECV, IORING_RECVSEND_POLL_FIRST, 0,
                "IORING_OP_RECV with IORING_RECVSEND_POLL_FIRST");
        bufferRing(refused, callState, ring, IoUringFeature.PBUF_RING, 0);
        if (!refused.containsKey(IoUringFeature.PBUF_RING)) {
            bufferRing(refused, callState, ring, IoUringFeature.PBUF_RING_INC, IOU_PBUF_RING_INC);
            // the kernel checks the flag (and that the receive selects a buffer) before it looks for the file
            onNoFile(refused, callState, ring, IoUringFeature.RECV_MULTISHOT, dev.fibril.aio.spi.Op.RECV, IORING_RECV_MULTISHOT,
                    IOSQE_BUFFER_SELECT, "IORING_OP_RECV with IORING_RECV_MULTISHOT");
        } else {
            refused.put(IoUringFeature.PBUF_RING_INC, "needs pbuf_ring");
            refused.put(IoUringFeature.RECV_MULTISHOT, "needs pbuf_ring");
        }
        return refused;
    }

    private static void setupFlag(Map<IoUringFeature, String> refused, MemorySegment callState,
                                  IoUringFeature feature, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(IoUringParamsLayout.LAYOUT);
            params.set(JAVA_INT, IoUringParamsLayout.FLAGS_OFFSET, flags);
            int fd = IoUringSyscalls.setup(callState, 4, params);
            if (fd >= 0) {
                Libc.close(callState, fd);
            } else {
                refused.put(feature, explain(feature, -fd, "io_uring_setup"));
            }
        }
    }

    /** A cancel of a descriptor with nothing in flight: ENOENT where the opcode exists. */
    private static void syncCancel(Map<IoUringFeature, String> refused, MemorySegment callState, RingMapping ring) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment reg = arena.allocate(EnterArgLayout.SYNC_CANCEL_REG);
            reg.set(JAVA_INT, EnterArgLayout.SYNC_CANCEL_FD_OFFSET, ring.fd);
            reg.set(JAVA_INT, EnterArgLayout.SYNC_CANCEL_FLAGS_OFFSET, IORING_ASYNC_CANCEL_FD);
            reg.set(JAVA_LONG, EnterArgLayout.SYNC_CANCEL_TIMEOUT_OFFSET, -1L); // tv_sec -1: no timeout
            reg.set(JAVA_LONG, EnterArgLayout.SYNC_CANCEL_TIMEOUT_OFFSET + 8, -1L);
            int r = IoUringSyscalls.register(callState, ring.fd, IORING_REGISTER_SYNC_CANCEL, reg.address(), 1);
            if (r < 0 && r != -Errno.ENOENT) {
                refused.put(IoUringFeature.SYNC_CANCEL, explain(IoUringFeature.SYNC_CANCEL, -r, "IORING_REGISTER_SYNC_CANCEL"));
            }
        }
    }

    /**
     * An {@code op} with the per-opcode flag {@code ioprio} (and SQE flags {@code sqeFlags}) on fd -1: a kernel that knows the flag
     * passes the SQE and then finds no file (EBADF); one before it refuses the ioprio field itself
     * (EINVAL).
     */
    private static void onNoFile(Map<IoUringFeature, String> refused, MemorySegment callState, RingMapping ring,
                                 IoUringFeature feature, byte op, int ioprio, int sqeFlags, String what) {
        SubmissionQueue sq = new SubmissionQueue(ring);
        CompletionQueue cq = new CompletionQueue(ring);
        sq.claim(op, -1, 1L).ioprio(ioprio).flags(sqeFlags);
        int r = IoUringSyscalls.enter(callState, ring.fd, sq.publish(), 1, IORING_ENTER_GETEVENTS, 0, 0);
        if (r < 0 || cq.isEmpty()) {
            refused.put(feature, explain(feature, r < 0 ? -r : Errno.EIO, "io_uring_enter"));
            return;
        }
        int head = cq.head();
        int res = cq.res(head);
        cq.soHead(head + 1);
        if (res != -Errno.EBADF) {
            refused.put(feature, explain(feature, -res, what));
        }
    }

    /** Registers, then unregisters, a one-entry buffer ring (group 0) with {@code flags}. */
    private static void bufferRing(Map<IoUringFeature, String> refused, MemorySegment callState, RingMapping ring,
                                   IoUringFeature feature, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bufs = arena.allocate(PROBE_BUFFER_BYTES, PROBE_BUFFER_BYTES); // page-aligned, as the kernel wants
            MemorySegment reg = arena.allocate(BufRingLayout.REG_SIZE, Long.BYTES);
            reg.set(JAVA_LONG, BufRingLayout.REG_RING_ADDR_OFFSET, bufs.address());
            reg.set(JAVA_INT, BufRingLayout.REG_RING_ENTRIES_OFFSET, 1);
            reg.set(JAVA_SHORT, BufRingLayout.REG_BGID_OFFSET, (short) 0);
            reg.set(JAVA_SHORT, BufRingLayout.REG_FLAGS_OFFSET, (short) flags);
            int r = IoUringSyscalls.register(callState, ring.fd, IORING_REGISTER_PBUF_RING, reg.address(), 1);
            if (r < 0) {
                refused.put(feature, explain(feature, -r, "IORING_REGISTER_PBUF_RING"));
                return;
            }
            IoUringSyscalls.register(callState, ring.fd, IORING_UNREGISTER_PBUF_RING, reg.address(), 1);
        }
    }

    static String explain(IoUringFeature feature, int errno, String call) {
        String what = call + " refused it with " + LinuxErrno.name(errno);
        return switch (errno) {
            case Errno.EINVAL -> "kernel too old (" + what + "; needs Linux " + feature.since + ")";
            case Errno.EPERM, Errno.EACCES -> "refused by the kernel (" + what + ": seccomp or LSM policy?)";
            case Errno.ENOMEM -> "cannot pin its memory (" + what + ": RLIMIT_MEMLOCK too low?)";
            case Errno.ENOSYS -> "refused by the kernel (" + what + ": seccomp?)";
            default -> "refused by the kernel (" + what + ")";
        };
    }
}
