/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.spi.Backend;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * open(2) on {@link FileChannel#open}: maps the {@code O_*} flags of {@link Backend} to open
 * options, and {@code mode} to POSIX permissions (the kernel applies the umask, as for open(2)).
 *
 * <p>Where NIO refuses a combination that Linux allows, the flag is emulated: {@code O_APPEND} on a
 * write-only open is NIO's APPEND (the kernel's O_APPEND, so appends from several open files or
 * processes never overwrite each other), but NIO rejects it with read access and with truncation;
 * there it is not passed on and the fd's WRITEs go to the file's end instead
 * ({@link #emulatesAppend}), which loses the atomicity of appends against other open files;
 * {@code O_CREAT} on a read-only open (ignored by NIO) creates the file first.
 */
final class FileOpener {
    private static final int ACCESS_MASK = 3;
    private static final PosixFilePermission[] MODE_BITS = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
    };

    private FileOpener() {
    }

    /** Whether {@code flags} ask for O_APPEND where NIO cannot give it: with read access or truncation. */
    static boolean emulatesAppend(int flags) {
        return (flags & Backend.O_APPEND) != 0 && !appendsInKernel(flags);
    }

    /** Whether {@code flags} ask for O_APPEND on a write-only open without O_TRUNC, which NIO opens with O_APPEND. */
    private static boolean appendsInKernel(int flags) {
        return (flags & Backend.O_APPEND) != 0 && (flags & ACCESS_MASK) == Backend.O_WRONLY && (flags & Backend.O_TRUNC) == 0;
    }

    /**
     * Opens {@code path}.
     *
     * @throws IOException as {@link FileChannel#open} throws it; {@link NioErrno} maps it
     * @throws IllegalArgumentException for an access mode of 3 (EINVAL)
     */
    static FileChannel open(String path, int flags, int mode) throws IOException {
        int access = flags & ACCESS_MASK;
        if (access == ACCESS_MASK) {
            throw new IllegalArgumentException("access mode 3");
        }
        boolean read = access == Backend.O_RDONLY || access == Backend.O_RDWR;
        boolean write = access == Backend.O_WRONLY || access == Backend.O_RDWR;
        boolean create = (flags & Backend.O_CREAT) != 0;
        boolean exclusive = (flags & Backend.O_EXCL) != 0;
        Path file = Path.of(path);
        FileAttribute<?>[] attributes = create
                ? new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(permissions(mode))}
                : new FileAttribute<?>[0];
        Set<StandardOpenOption> options = EnumSet.noneOf(StandardOpenOption.class);
        if (read) {
            options.add(StandardOpenOption.READ);
        }
        if (write) {
            options.add(StandardOpenOption.WRITE);
            if (create) {
                options.add(exclusive ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
            }
            if ((flags & Backend.O_TRUNC) != 0) {
                options.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
            if (appendsInKernel(flags)) {
                options.add(StandardOpenOption.APPEND); // a positional write appends too: pwrite(2) on Linux
            }
        } else if (create) {
            try {
                Files.createFile(file, attributes);
            } catch (FileAlreadyExistsException e) {
                if (exclusive) {
                    throw e;
                }
            }
        }
        return FileChannel.open(file, options, attributes);
    }

    /** The rwx bits of {@code mode}; setuid, setgid and sticky are dropped. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        for (int bit = 0; bit < MODE_BITS.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(MODE_BITS[bit]);
            }
        }
        return set;
    }
}
