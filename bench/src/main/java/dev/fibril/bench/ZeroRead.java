/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.syscall.linux.Libc;
import dev.fibril.syscall.linux.LinuxConstants;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A cheap blocking syscall through FFM: read(2) of 0 bytes from /dev/zero, which enters and
 * leaves the kernel and does nothing else. Its memory is in a shared arena so a pool thread or a
 * virtual thread may make the call; one caller at a time (the call state holds errno).
 */
final class ZeroRead implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment callState = Libc.allocateCallState(arena);
    private final MemorySegment buffer = arena.allocate(8);
    private final int fd;

    ZeroRead() {
        fd = Libc.openat(callState, LinuxConstants.AT_FDCWD, arena.allocateFrom("/dev/zero"), LinuxConstants.O_CLOEXEC, 0);
        if (fd < 0) {
            arena.close();
            throw new IllegalStateException("cannot open /dev/zero: errno " + -fd);
        }
    }

    /** One read(2) of 0 bytes; returns its result (0). */
    long call() {
        return Libc.read(callState, fd, buffer, 0);
    }

    @Override
    public void close() {
        Libc.close(callState, fd);
        arena.close();
    }
}
