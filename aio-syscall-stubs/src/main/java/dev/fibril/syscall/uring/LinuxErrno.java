package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.syscall.linux.LinuxConstants;

/** Errno names for messages, including the few that {@link Errno} does not list. */
final class LinuxErrno {
    private LinuxErrno() {
    }

    static String name(int errno) {
        return switch (errno) {
            case LinuxConstants.EBUSY -> "EBUSY";
            case LinuxConstants.ENFILE -> "ENFILE";
            case LinuxConstants.ENAMETOOLONG -> "ENAMETOOLONG";
            case LinuxConstants.ENOSYS -> "ENOSYS";
            case LinuxConstants.EAFNOSUPPORT -> "EAFNOSUPPORT";
            default -> Errno.name(errno);
        } + " (errno " + errno + ")";
    }
}
