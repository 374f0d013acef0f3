/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;

import java.nio.ByteBuffer;

/** Checks on the caller's buffer region {@code [position, position + length)}, the way a kernel checks a user pointer. */
final class Buffers {
    private Buffers() {
    }

    /**
     * 0 when the kernel may transfer {@code length} bytes at {@code position} (into the buffer when
     * {@code intoBuffer}), {@code -EFAULT} when the region lies outside the buffer's capacity, or
     * when the kernel would have to write into a read-only buffer. {@code length} is not negative.
     */
    static int check(ByteBuffer buffer, int position, int length, boolean intoBuffer) {
        if (length == 0) {
            return 0;
        }
        if (buffer == null || position < 0 || (long) position + length > buffer.capacity()) {
            return -Errno.EFAULT;
        }
        if (intoBuffer && buffer.isReadOnly()) {
            return -Errno.EFAULT;
        }
        return 0;
    }

    /**
     * A buffer whose absolute bulk get/put accepts the checked region: the buffer itself when the
     * region ends within its limit (the usual case, no allocation), else a duplicate whose limit is
     * the capacity. Neither changes the caller's position or limit.
     */
    static ByteBuffer window(ByteBuffer buffer, int position, int length) {
        if (length == 0 || position + length <= buffer.limit()) {
            return buffer;
        }
        return buffer.duplicate().clear();
    }

    /** An OPENAT's path, the UTF-8 bytes of its buffer region; null when the region is not valid. */
    static String path(dev.fibril.aio.spi.IoRequest r) {
        ByteBuffer buffer = r.buffer();
        int length = r.length();
        if (length < 0 || buffer == null || check(buffer, r.position(), length, false) != 0) {
            return null;
        }
        byte[] bytes = new byte[length]; // the control plane: files are found by their String name
        buffer.get(r.position(), bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
}
