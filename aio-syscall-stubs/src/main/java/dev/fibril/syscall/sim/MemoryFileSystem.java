/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;

import java.util.HashMap;
import java.util.Map;

/** Files by path string: no directories, no permissions. Thread-safe; control plane only. */
final class MemoryFileSystem {
    private final Map<String, MemoryFile> files = new HashMap<>();
    private final long maxFileSize;

    MemoryFileSystem(long maxFileSize) {
        this.maxFileSize = maxFileSize;
    }

    /** open(2): honours O_CREAT, O_EXCL and O_TRUNC and installs the file in {@code table}. Returns the fd or {@code -errno}. */
    synchronized int open(String path, int flags, DescriptorTable table) {
        if (path == null || path.isEmpty()) {
            return -Errno.ENOENT;
        }
        if ((flags & 3) == 3) {
            return -Errno.EINVAL;
        }
        if (table.full()) {
            return -Errno.EMFILE;
        }
        MemoryFile file = files.get(path);
        if (file == null) {
            if ((flags & Backend.O_CREAT) == 0) {
                return -Errno.ENOENT;
            }
            file = new MemoryFile(maxFileSize);
            files.put(path, file);
        } else if ((flags & (Backend.O_CREAT | Backend.O_EXCL)) == (Backend.O_CREAT | Backend.O_EXCL)) {
            return -Errno.EEXIST;
        }
        if ((flags & Backend.O_TRUNC) != 0) {
            // Linux truncates even with O_RDONLY, where POSIX leaves it unspecified.
            file.truncate(0);
        }
        return table.install(new OpenFile(file, flags));
    }

    /** unlink(2): the name goes; open descriptors keep the content. */
    synchronized int unlink(String path) {
        return files.remove(path) != null ? 0 : -Errno.ENOENT;
    }

    synchronized MemoryFile find(String path) {
        return files.get(path);
    }
}
