/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.nio.ByteBuffer;

/**
 * One direction of a connection: a circular byte buffer bounded by the socket buffer size. Its
 * array starts small and doubles up to the bound, so idle connections stay cheap and a busy one
 * stops allocating once it reached its bound. Not thread-safe: the connection's lock guards it.
 */
final class ByteRing {
    private static final int INITIAL_BYTES = 8 * 1024;

    private final int capacity;
    private byte[] bytes;
    private int head;
    private int size;

    ByteRing(int capacity) {
        this.capacity = capacity;
        this.bytes = new byte[Math.min(INITIAL_BYTES, capacity)];
    }

    int size() {
        return size;
    }

    /** Bytes a write could add now. */
    int room() {
        return capacity - size;
    }

    /** Copies up to {@code length} bytes from {@code src[index...]}, as many as there is room for. Returns the count. */
    int write(ByteBuffer src, int index, int length) {
        int n = Math.min(length, capacity - size);
        if (n <= 0) {
            return 0;
        }
        ensureCapacity(size + n);
        int tail = head + size;
        if (tail >= bytes.length) {
            tail -= bytes.length;
        }
        int first = Math.min(n, bytes.length - tail);
        src.get(index, bytes, tail, first);
        if (n > first) {
            src.get(index + first, bytes, 0, n - first);
        }
        size += n;
        return n;
    }

    /** Moves up to {@code length} buffered bytes into {@code dst[index...]}. Returns the count. */
    int read(ByteBuffer dst, int index, int length) {
        int n = Math.min(length, size);
        if (n <= 0) {
            return 0;
        }
        int first = Math.min(n, bytes.length - head);
        dst.put(index, bytes, head, first);
        if (n > first) {
            dst.put(index + first, bytes, 0, n - first);
        }
        head += n;
        if (head >= bytes.length) {
            head -= bytes.length;
        }
        size -= n;
        if (size == 0) {
            head = 0;
        }
        return n;
    }

    /** Discards what is buffered. */
    void clear() {
        head = 0;
        size = 0;
    }

    private void ensureCapacity(int needed) {
        if (needed <= bytes.length) {
            return;
        }
        int length = bytes.length;
        while (length < needed) {
            length = (int) Math.min((long) length * 2, capacity);
        }
        byte[] grown = new byte[length];
        int first = Math.min(size, bytes.length - head);
        System.arraycopy(bytes, head, grown, 0, first);
        System.arraycopy(bytes, 0, grown, first, size - first);
        bytes = grown;
        head = 0;
    }
}
