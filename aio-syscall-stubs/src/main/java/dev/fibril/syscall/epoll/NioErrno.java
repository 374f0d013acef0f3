/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns what {@code java.nio} throws back into the errno the kernel returned. NIO keeps the errno
 * only in the message text (strerror) for plain {@link IOException}s, so those are matched by
 * message; the typed exceptions map by type. Anything unrecognised is EIO. Stateless.
 */
final class NioErrno {
    private NioErrno() {
    }

    /** The positive errno for {@code t}. */
    static int of(Throwable t) {
        return switch (t) {
            // AsynchronousCloseException is a ClosedChannelException: the fd went away under the call
            case ClosedChannelException e -> Errno.EBADF;
            case NonReadableChannelException e -> Errno.EBADF;
            case NonWritableChannelException e -> Errno.EBADF;
            case NotYetConnectedException e -> Errno.ENOTCONN;
            case NoConnectionPendingException e -> Errno.ENOTCONN;
            case AlreadyConnectedException e -> Errno.EISCONN;
            case ConnectionPendingException e -> Errno.EALREADY;
            case NotYetBoundException e -> Errno.EINVAL;
            case UnresolvedAddressException e -> Errno.EINVAL;
            case UnsupportedAddressTypeException e -> Errno.EAFNOSUPPORT;
            case NoSuchFileException e -> Errno.ENOENT;
            case FileAlreadyExistsException e -> Errno.EEXIST;
            case AccessDeniedException e -> Errno.EACCES;
            case NotDirectoryException e -> Errno.ENOTDIR;
            case DirectoryNotEmptyException e -> Errno.ENOTEMPTY;
            case FileSystemException e -> byMessage(e.getReason());
            case ConnectException e -> e.getMessage() != null && e.getMessage().contains("timed out")
                    ? Errno.ETIMEDOUT : Errno.ECONNREFUSED;
            case BindException e -> {
                int errno = byMessage(e.getMessage());
                yield errno == Errno.EIO ? Errno.EADDRINUSE : errno;
            }
            case NoRouteToHostException e -> Errno.EHOSTUNREACH;
            case IOException e -> byMessage(e.getMessage());
            case InvalidPathException e -> Errno.EINVAL;
            case IllegalArgumentException e -> Errno.EINVAL;
            case SecurityException e -> Errno.EACCES;
            case OutOfMemoryError e -> Errno.ENOMEM;
            default -> Errno.EIO;
        };
    }

    /** The errno whose strerror text {@code message} carries (the JDK puts it there verbatim). */
    static int byMessage(String message) {
        if (message == null) {
            return Errno.EIO;
        }
        if (message.contains("Connection reset")) {
            return Errno.ECONNRESET;
        }
        if (message.contains("Broken pipe")) {
            return Errno.EPIPE;
        }
        if (message.contains("Connection refused")) {
            return Errno.ECONNREFUSED;
        }
        if (message.contains("timed out")) {
            return Errno.ETIMEDOUT;
        }
        if (message.contains("Address already in use")) {
            return Errno.EADDRINUSE;
        }
        if (message.contains("Cannot assign requested address")) {
            return Errno.EADDRNOTAVAIL;
        }
        if (message.contains("not connected")) {
            return Errno.ENOTCONN;
        }
        if (message.contains("Is a directory")) {
            return Errno.EISDIR;
        }
        if (message.contains("Not a directory")) {
            return Errno.ENOTDIR;
        }
        if (message.contains("No such file")) {
            return Errno.ENOENT;
        }
        if (message.contains("File exists")) {
            return Errno.EEXIST;
        }
        if (message.contains("Permission denied")) {
            return Errno.EACCES;
        }
        if (message.contains("Operation not permitted")) {
            return Errno.EPERM;
        }
        if (message.contains("Too many open files")) {
            return Errno.EMFILE;
        }
        if (message.contains("No space left")) {
            return Errno.ENOSPC;
        }
        if (message.contains("File too large")) {
            return Errno.EFBIG;
        }
        if (message.contains("Read-only file system")) {
            return Errno.EROFS;
        }
        if (message.contains("File name too long")) {
            return Errno.ENAMETOOLONG;
        }
        if (message.contains("symbolic links")) {
            return Errno.ELOOP;
        }
        if (message.contains("Network is unreachable")) {
            return Errno.ENETUNREACH;
        }
        if (message.contains("No route to host")) {
            return Errno.EHOSTUNREACH;
        }
        if (message.contains("Invalid argument")) {
            return Errno.EINVAL;
        }
        if (message.contains("Bad file descriptor")) {
            return Errno.EBADF;
        }
        if (message.contains("Illegal seek")) {
            return Errno.ESPIPE;
        }
        return Errno.EIO;
    }
}
