/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.syscall.linux.Libc;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The three io_uring system calls, through libc's variadic {@code long syscall(long number, ...)}
 * (glibc has no wrappers for them). Every argument is passed as a {@code long}: that is what
 * {@code syscall} reads from its variadic list, and the kernel truncates the {@code unsigned int}
 * parameters itself. Each call returns its result, or {@code -errno} on failure, and captures errno
 * into the caller's call state (see {@link Libc#allocateCallState}).
 */
public final class IoUringSyscalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemorySegment SYSCALL = LINKER.defaultLookup().find("syscall")
            .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol syscall"));

    private static final MethodHandle SYSCALL_2 = syscallHandle(2);
    private static final MethodHandle SYSCALL_4 = syscallHandle(4);
    private static final MethodHandle SYSCALL_6 = syscallHandle(6);

    private IoUringSyscalls() {
    }

    /** io_uring_setup(2): the ring fd, or {@code -errno}. {@code params} is {@link IoUringParamsLayout#LAYOUT}, in and out. */
    public static int setup(MemorySegment callState, int entries, MemorySegment params) {
        try {
            long r = (long) SYSCALL_2.invokeExact(callState, IoUringConstants.NR_IO_URING_SETUP,
                    Integer.toUnsignedLong(entries), params.address());
            return result(callState, r);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * io_uring_enter(2): submits {@code toSubmit} SQEs and, with IORING_ENTER_GETEVENTS, waits for
     * {@code minComplete} CQEs. Returns the SQEs consumed, or {@code -errno} (EINTR, ETIME at the
     * EXT_ARG timeout, EBUSY/EAGAIN when the kernel cannot take more) if none were. Blocks; never
     * called in a critical region, so a blocked caller does not hold up the GC.
     */
    public static int enter(MemorySegment callState, int ringFd, int toSubmit, int minComplete, int flags,
                            long arg, long argSize) {
        try {
            long r = (long) SYSCALL_6.invokeExact(callState, IoUringConstants.NR_IO_URING_ENTER,
                    (long) ringFd, Integer.toUnsignedLong(toSubmit), Integer.toUnsignedLong(minComplete),
                    Integer.toUnsignedLong(flags), arg, argSize);
            return result(callState, r);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** io_uring_register(2): the opcode's result, or {@code -errno}. Thread-safe in the kernel. */
    public static int register(MemorySegment callState, int ringFd, int opcode, long arg, int nrArgs) {
        try {
            long r = (long) SYSCALL_4.invokeExact(callState, IoUringConstants.NR_IO_URING_REGISTER,
                    (long) ringFd, Integer.toUnsignedLong(opcode), arg, Integer.toUnsignedLong(nrArgs));
            return result(callState, r);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static int result(MemorySegment callState, long r) {
        return r < 0 ? -Libc.errno(callState) : (int) r;
    }

    private static MethodHandle syscallHandle(int args) {
        var layouts = new java.lang.foreign.MemoryLayout[args + 1];
        java.util.Arrays.fill(layouts, JAVA_LONG);
        return LINKER.downcallHandle(SYSCALL, FunctionDescriptor.of(JAVA_LONG, layouts),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed in the linker", t);
    }
}
