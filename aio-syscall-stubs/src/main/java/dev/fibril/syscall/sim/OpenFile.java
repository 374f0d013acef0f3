/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;

import java.nio.ByteBuffer;

/**
 * An open file description: the file, the access mode and O_APPEND. Ops on a file never wait, so
 * nothing is pending on one when it closes; requests already executed deliver their completions.
 */
final class OpenFile implements Descriptor {
    private final MemoryFile file;
    private final int accessMode;
    private final boolean append;
    /** Set by close on any thread; an op that raced with close and still sees false behaves like Linux, which holds a file reference for it. */
    private volatile boolean closed;

    OpenFile(MemoryFile file, int flags) {
        this.file = file;
        this.accessMode = flags & 3;
        this.append = (flags & Backend.O_APPEND) != 0;
    }

    MemoryFile file() {
        return file;
    }

    boolean writable() {
        return accessMode != Backend.O_RDONLY;
    }

    /** pread into {@code buffer[position, position + length)}. */
    int read(ByteBuffer buffer, int position, int requested, int length, long offset) {
        if (closed || accessMode == Backend.O_WRONLY) {
            return -Errno.EBADF;
        }
        if (requested < 0 || offset < 0) {
            return -Errno.EINVAL;
        }
        int fault = Buffers.check(buffer, position, requested, true);
        if (fault != 0) {
            return fault;
        }
        if (length == 0) {
            return 0;
        }
        return file.read(offset, Buffers.window(buffer, position, length), position, length);
    }

    /** pwrite from {@code buffer[position, position + length)}; at the end of the file with O_APPEND, as Linux does. */
    int write(ByteBuffer buffer, int position, int requested, int length, long offset) {
        if (closed || accessMode == Backend.O_RDONLY) {
            return -Errno.EBADF;
        }
        if (requested < 0 || offset < 0) {
            return -Errno.EINVAL;
        }
        int fault = Buffers.check(buffer, position, requested, false);
        if (fault != 0) {
            return fault;
        }
        if (length == 0) {
            return 0;
        }
        ByteBuffer src = Buffers.window(buffer, position, length);
        return append ? file.append(src, position, length) : file.write(offset, src, position, length);
    }

    int fsync() {
        return closed ? -Errno.EBADF : 0;
    }

    @Override
    public void close() {
        closed = true;
    }
}
