/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio;

import java.io.IOException;

/**
 * A system call failed with an errno that the runtime does not handle itself (EINTR and EAGAIN
 * never reach callers). Carries the errno and the operation that failed.
 */
public class ErrnoException extends IOException {
    private final int errno;
    private final String operation;

    public ErrnoException(String operation, int errno) {
        super(operation + " failed: " + Errno.name(errno) + " (errno " + errno + ")");
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive, was " + errno);
        }
        this.errno = errno;
        this.operation = operation;
    }

    /** The positive errno value, as in {@link Errno}. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno name, for example {@code "EIO"}. */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** The operation that failed, for example {@code "pread"}. */
    public String operation() {
        return operation;
    }
}
