/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Plain libc calls through {@link Linker#nativeLinker()}, each handle created once.
 *
 * <p>Every call that can fail takes a {@code callState} segment (from {@link #allocateCallState})
 * into which the linker copies {@code errno} right after the call, before the JVM can clobber it;
 * the wrapper then returns the result, or {@code -errno} on failure, so callers follow the CQE
 * convention. A call state belongs to one thread at a time: the ring owns one for its carrier,
 * synchronous backend calls allocate their own. Pointers are passed as segments; the caller keeps
 * them alive for the call.
 *
 * <p>None of these throw for a kernel error. A {@link Throwable} from the linker itself (which
 * cannot happen once the handles are linked) surfaces as {@link IllegalStateException}.
 */
public final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPENAT = errnoCall("openat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(3));
    private static final MethodHandle CLOSE = errnoCall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKET = errnoCall("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = errnoCall("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = errnoCall("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = errnoCall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = errnoCall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETSOCKNAME = errnoCall("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETPEERNAME = errnoCall("getpeername",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SHUTDOWN = errnoCall("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle STATX = errnoCall("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle FTRUNCATE = errnoCall("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle EVENTFD = errnoCall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = errnoCall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = errnoCall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle PIPE2 = errnoCall("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MMAP = errnoCall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = errnoCall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    /** eventfd_write(3) takes the value itself, so a waker on any thread needs no buffer and no call state. */
    private static final MethodHandle EVENTFD_WRITE = LINKER.downcallHandle(symbol("eventfd_write"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));

    private Libc() {
    }

    /** A segment the linker copies errno into; one per thread that makes calls. */
    public static MemorySegment allocateCallState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    /** The errno captured by the last call made with {@code callState}. */
    public static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** openat(2): the new fd or {@code -errno}. {@code path} is NUL-terminated. */
    public static int openat(MemorySegment callState, int dirFd, MemorySegment path, int flags, int mode) {
        try {
            return check(callState, (int) OPENAT.invokeExact(callState, dirFd, path, flags, mode));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    public static int close(MemorySegment callState, int fd) {
        try {
            return check(callState, (int) CLOSE.invokeExact(callState, fd));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    public static int socket(MemorySegment callState, int domain, int type, int protocol) {
        try {
            return check(callState, (int) SOCKET.invokeExact(callState, domain, type, protocol));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    public static int bind(MemorySegment callState, int fd, MemorySegment address, int addressLength) {
        try {
            return check(callState, (int) BIND.invokeExact(callState, fd, address, addressLength));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    public static int listen(MemorySegment callState, int fd, int backlog) {
        try {
            return check(callState, (int) LISTEN.invokeExact(callState, fd, backlog));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /** setsockopt(2) with an int option value held in {@code intValue} (4 bytes). */
    public static int setsockopt(MemorySegment callState, int fd, int level, int option, MemorySegment intValue) {
        try {
            return check(callState, (int) SETSOCKOPT.invokeExact(callState, fd, level, option, intValue, 4));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /**
     * getsockopt(2) into {@code value}; {@code lengthInOut} (a socklen_t, 4 bytes) holds the
     * capacity of {@code value} and receives the length the kernel wrote.
     */
    public static int getsockopt(MemorySegment callState, int fd, int level, int option, MemorySegment value,
                                 MemorySegment lengthInOut) {
        try {
            return check(callState, (int) GETSOCKOPT.invokeExact(callState, fd, level, option, value, lengthInOut));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /** getsockname(2); {@code lengthInOut} holds the capacity of {@code address} and receives the length. */
    public static int getsockname(MemorySegment callState, int fd, MemorySegment address, MemorySegment lengthInOut) {
        try {
            return check(callState, (int) GETSOCKNAME.invokeExact(callState, fd, address, lengthInOut));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /** getpeername(2); {@code lengthInOut} as for {@link #getsockname}. */
    public static int getpeername(MemorySegment callState, int fd, MemorySegment address, MemorySegment lengthInOut) {
        try {
            return check(callState, (int) GETPEERNAME.invokeExact(callState, fd, address, lengthInOut));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    public static int shutdown(MemorySegment callState, int fd, int how) {
        try {
            return check(callState, (int) SHUTDOWN.invokeExact(callState, fd, how));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /** statx(2) into {@code statx} ({@link StatxLayout#LAYOUT}). */
    public static int statx(MemorySegment callState, int dirFd, MemorySegment path, int flags, int mask, MemorySegment statx) {
        try {
            return check(callState, (int) STATX.invokeExact(callState, dirFd, path, flags, mask, statx));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    public static int ftruncate(MemorySegment callState, int fd, long length) {
        try {
            return check(callState, (int) FTRUNCATE.invokeExact(callState, fd, length));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    public static int eventfd(MemorySegment callState, int initialValue, int flags) {
        try {
            return check(callState, (int) EVENTFD.invokeExact(callState, initialValue, flags));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /** read(2): bytes read or {@code -errno}. */
    public static long read(MemorySegment callState, int fd, MemorySegment buffer, long count) {
        try {
            long n = (long) READ.invokeExact(callState, fd, buffer, count);
            return n < 0 ? -errno(callState) : n;
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /** write(2): bytes written or {@code -errno}. */
    public static long write(MemorySegment callState, int fd, MemorySegment buffer, long count) {
        try {
            long n = (long) WRITE.invokeExact(callState, fd, buffer, count);
            return n < 0 ? -errno(callState) : n;
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /** pipe2(2) into {@code fds} (two ints: read end, write end). */
    public static int pipe2(MemorySegment callState, MemorySegment fds, int flags) {
        try {
            return check(callState, (int) PIPE2.invokeExact(callState, fds, flags));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /** mmap(2) of {@code length} bytes of {@code fd} at {@code offset}: the address, or {@code -errno}. */
    public static long mmap(MemorySegment callState, long length, int prot, int flags, int fd, long offset) {
        try {
            MemorySegment p = (MemorySegment) MMAP.invokeExact(callState, MemorySegment.NULL, length, prot, flags, fd, offset);
            return p.address() == -1L ? -errno(callState) : p.address(); // MAP_FAILED
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    public static int munmap(MemorySegment callState, long address, long length) {
        try {
            return check(callState, (int) MUNMAP.invokeExact(callState, MemorySegment.ofAddress(address), length));
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    /**
     * eventfd_write(3): adds {@code value} to the counter. Returns 0, or -1 when the counter would
     * overflow (the fd is then signalled already) or the fd is bad. Any thread.
     */
    public static int eventfdWrite(int fd, long value) {
        try {
            return (int) EVENTFD_WRITE.invokeExact(fd, value);
        } catch (Throwable t) {
            throw linkerFailure(t);
        }
    }

    private static int check(MemorySegment callState, int result) {
        return result < 0 ? -errno(callState) : result;
    }

    private static MethodHandle errnoCall(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        System.arraycopy(extra, 0, options, 0, extra.length);
        options[extra.length] = CAPTURE_ERRNO;
        return LINKER.downcallHandle(symbol(name), descriptor, options);
    }

    static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    /** What to throw for a {@link Throwable} out of {@code invokeExact}: unchecked ones as they are. */
    static RuntimeException linkerFailure(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed in the linker", t);
    }
}
