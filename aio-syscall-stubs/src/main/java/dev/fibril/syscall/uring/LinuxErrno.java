/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;

/** Errno names for messages, with their numbers; and the kernel-internal codes kept inside. */
final class LinuxErrno {
    /**
     * Codes from 512 up are the kernel's own (include/linux/errno.h, Linux 6.x), never meant for
     * user space; io_uring passes some of them through in a CQE's res (a splice interrupted by a
     * cancel gives -ERESTARTSYS). The ERESTART* family asks for the call to be made again after a
     * signal: EINTR, which the carrier retries (or, with a cancel pending, ends as cancelled).
     */
    static final int ERESTARTSYS = 512;
    static final int ERESTARTNOINTR = 513;
    static final int ERESTARTNOHAND = 514;
    static final int ENOIOCTLCMD = 515;
    static final int ERESTART_RESTARTBLOCK = 516;
    /** include/linux/errno.h: "Defined for the NFSv3 protocol", the kernel's name for "not supported". */
    static final int ENOTSUPP = 524;
    static final int FIRST_KERNEL_INTERNAL = 512;
    /** Above every kernel-internal code; past it a negative res is not an errno at all. */
    static final int LAST_ERRNO = 4095;

    private LinuxErrno() {
    }

    /**
     * {@code res} as user space may see it: a kernel-internal -errno becomes -EINTR (the ERESTART*
     * codes), -EOPNOTSUPP (ENOTSUPP) or -EIO (the rest); anything else is returned unchanged.
     */
    static int userVisible(int res) {
        if (res > -FIRST_KERNEL_INTERNAL || res < -LAST_ERRNO) {
            return res;
        }
        return switch (-res) {
            case ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK -> -Errno.EINTR;
            case ENOTSUPP -> -Errno.EOPNOTSUPP;
            default -> -Errno.EIO;
        };
    }

    static String name(int errno) {
        return Errno.name(errno) + " (errno " + errno + ")";
    }
}
