/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.Libc;
import dev.fibril.syscall.linux.LinuxConstants;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * What the kernel offers here: whether io_uring can run at all (and why not), its feature bits,
 * and which opcodes it supports (IORING_REGISTER_PROBE). {@link #run()} sets up a small ring, asks
 * for the opcode table, and does one NOP round trip through io_uring_enter, so a seccomp filter
 * that allows io_uring_setup but refuses io_uring_enter or io_uring_register is caught too. It
 * never throws: every failure becomes {@link #available()} false with a {@link #reason()}.
 */
public final class IoUringProbe {
    /** Opcodes a ring cannot work without. */
    private static final byte[] REQUIRED_OPS = {Op.NOP, Op.READ, Op.WRITE, Op.TIMEOUT, Op.ASYNC_CANCEL};

    private final boolean available;
    private final String reason;
    private final int errno;
    private final int features;
    private final int setupFlags;
    private final long[] supportedOps;
    /** The optional features the kernel refused, with why; empty when unavailable (see {@link #refused}). */
    private final java.util.Map<IoUringFeature, String> refusedFeatures;

    private IoUringProbe(boolean available, String reason, int errno, int features, int setupFlags, long[] supportedOps,
                         java.util.Map<IoUringFeature, String> refusedFeatures) {
        this.refusedFeatures = java.util.Map.copyOf(refusedFeatures);
        this.available = available;
        this.reason = reason;
        this.errno = errno;
        this.features = features;
        this.setupFlags = setupFlags;
        this.supportedOps = supportedOps;
    }

    /** True when rings can be opened and used here. */
    public boolean available() {
        return available;
    }

    /** Why io_uring is not available ("available" when it is). */
    public String reason() {
        return reason;
    }

    /** The errno of the call that failed, or 0. */
    public int errno() {
        return errno;
    }

    /** io_uring_params.features (IORING_FEAT_*) as the kernel reported them; 0 when unavailable. */
    public int features() {
        return features;
    }

    /** The io_uring_setup flags of the probe's own plain ring (CQSIZE and CLAMP); see {@link IoUringFeatures} for a carrier's. */
    public int setupFlags() {
        return setupFlags;
    }

    /** Whether the kernel supports opcode {@code op} ({@link Op} values); false when unavailable. */
    public boolean supports(int op) {
        return op >= 0 && op < ProbeLayout.MAX_OPS && (supportedOps[op >>> 6] & 1L << op) != 0;
    }

    /**
     * Why the kernel has no {@code feature} (kernel too old, refused by seccomp, memlock), or null
     * when it has it. Every feature is refused when io_uring is unavailable.
     */
    public String refused(IoUringFeature feature) {
        return available ? refusedFeatures.get(feature) : "io_uring unavailable: " + reason;
    }

    @Override
    public String toString() {
        if (!available) {
            return "io_uring unavailable: " + reason;
        }
        StringBuilder ops = new StringBuilder();
        int count = 0;
        for (int op = 0; op < ProbeLayout.MAX_OPS; op++) {
            if (supports(op)) {
                count++;
                String name = Op.name(op);
                if (!name.equals("op" + op)) {
                    ops.append(ops.isEmpty() ? "" : ",").append(name);
                }
            }
        }
        return "io_uring available: features=0x" + Integer.toHexString(features)
                + " setupFlags=0x" + Integer.toHexString(setupFlags)
                + " opcodes=" + count + " supported, Fibril's: [" + ops + "]";
    }

    /** Probes the kernel now. Never throws. */
    public static IoUringProbe run() {
        try {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
                return unavailable("not Linux (os.name=" + System.getProperty("os.name") + ")", 0);
            }
            return probeKernel();
        } catch (RingMapping.SetupException e) {
            return unavailable(explainSetupFailure(e), e.errno);
        } catch (Throwable t) {
            // The FFM linker itself can refuse: no native access, no libc symbol, an odd platform.
            return unavailable("cannot call into libc through FFM: " + t, 0);
        }
    }

    private static IoUringProbe probeKernel() throws RingMapping.SetupException {
        RingMapping ring = RingMapping.open(4, 8, IoUringConstants.IORING_SETUP_CQSIZE | IoUringConstants.IORING_SETUP_CLAMP);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment callState = Libc.allocateCallState(arena);
            try {
                MemorySegment probe = arena.allocate(ProbeLayout.LAYOUT);
                int r = IoUringSyscalls.register(callState, ring.fd, IoUringConstants.IORING_REGISTER_PROBE,
                        probe.address(), ProbeLayout.MAX_OPS);
                if (r < 0) {
                    return unavailable("io_uring_register(IORING_REGISTER_PROBE) failed: " + LinuxErrno.name(-r)
                            + (-r == Errno.EINVAL ? " (kernel older than 5.6)" : " (seccomp or LSM policy?)"), -r);
                }
                long[] ops = parseOps(probe);
                String nopFailure = nopRoundTrip(callState, ring);
                if (nopFailure != null) {
                    return unavailable(nopFailure, 0);
                }
                for (byte op : REQUIRED_OPS) {
                    if ((ops[op >>> 6] & 1L << op) == 0) {
                        return unavailable("kernel lacks IORING_OP_" + Op.name(op).toUpperCase(java.util.Locale.ROOT), 0);
                    }
                }
                if (!ring.hasFeature(IoUringConstants.IORING_FEAT_EXT_ARG)) {
                    return unavailable("kernel lacks IORING_FEAT_EXT_ARG (needs Linux 5.11) for timed waits", 0);
                }
                return new IoUringProbe(true, "available", 0, ring.features, ring.setupFlags, ops,
                        FeatureProbe.run(callState, ring, ops));
            } finally {
                ring.close(callState);
            }
        }
    }

    private static long[] parseOps(MemorySegment probe) {
        long[] ops = new long[ProbeLayout.MAX_OPS / Long.SIZE];
        int n = Byte.toUnsignedInt(probe.get(JAVA_BYTE, ProbeLayout.OPS_LEN_OFFSET));
        for (int i = 0; i < n; i++) {
            long at = ProbeLayout.OPS_OFFSET + i * ProbeLayout.OP_SIZE;
            int op = Byte.toUnsignedInt(probe.get(JAVA_BYTE, at + ProbeLayout.OP_OP_OFFSET));
            int flags = probe.get(JAVA_SHORT, at + ProbeLayout.OP_FLAGS_OFFSET);
            if ((flags & IoUringConstants.IO_URING_OP_SUPPORTED) != 0) {
                ops[op >>> 6] |= 1L << op;
            }
        }
        return ops;
    }

    /** Submits one NOP and waits for its CQE; returns null, or what went wrong. */
    private static String nopRoundTrip(MemorySegment callState, RingMapping ring) {
        SubmissionQueue sq = new SubmissionQueue(ring);
        CompletionQueue cq = new CompletionQueue(ring);
        long token = 0x5eed_cafeL;
        sq.claim(Op.NOP, -1, token);
        int toSubmit = sq.publish();
        int r = IoUringSyscalls.enter(callState, ring.fd, toSubmit, 1, IoUringConstants.IORING_ENTER_GETEVENTS, 0, 0);
        if (r < 0) {
            return "io_uring_enter failed: " + LinuxErrno.name(-r) + " (seccomp or LSM policy?)";
        }
        if (cq.isEmpty()) {
            return "io_uring_enter returned without the NOP's completion";
        }
        int head = cq.head();
        long userData = cq.userData(head);
        int res = cq.res(head);
        cq.soHead(head + 1);
        if (userData != token || res != 0) {
            return "NOP completed with user_data=" + userData + " res=" + res;
        }
        return null;
    }

    private static String explainSetupFailure(RingMapping.SetupException e) {
        String what = e.call + " failed: " + LinuxErrno.name(e.errno);
        return switch (e.errno) {
            case Errno.ENOSYS -> what + ": kernel built without io_uring, or a seccomp filter (containers) refuses it";
            case Errno.EPERM -> what + ": " + explainEperm();
            case Errno.ENOMEM -> what + ": cannot lock ring memory (RLIMIT_MEMLOCK on kernels before 5.12)";
            case Errno.EMFILE, Errno.ENFILE -> what + ": out of file descriptors";
            default -> what;
        };
    }

    private static String explainEperm() {
        try {
            String disabled = Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled")).strip();
            return switch (disabled) {
                case "2" -> "disabled for everyone by sysctl kernel.io_uring_disabled=2";
                case "1" -> "restricted by sysctl kernel.io_uring_disabled=1 to CAP_SYS_ADMIN and kernel.io_uring_group";
                default -> "refused by a seccomp filter or LSM policy (kernel.io_uring_disabled=" + disabled + ")";
            };
        } catch (IOException | RuntimeException e) {
            return "refused by a seccomp filter or LSM policy";
        }
    }

    private static IoUringProbe unavailable(String reason, int errno) {
        return new IoUringProbe(false, reason, errno, 0, 0, new long[ProbeLayout.MAX_OPS / Long.SIZE], java.util.Map.of());
    }
}
