/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The content of one in-memory file: 64 KiB pages, allocated on first write, so holes cost nothing
 * and a 64 MiB file is 1,024 arrays. Reads and writes copy directly between a page and the caller's
 * buffer with absolute bulk get/put, which work alike for heap and direct buffers.
 *
 * <p>Invariant: every byte at or beyond {@link #size()} in an allocated page is zero, so growing the
 * file (by a write past the end or by truncate) reads back zeros in the hole.
 *
 * <p>Threads: any; every access holds the file's monitor (concurrent pread/pwrite from several
 * rings serialise, which a model can afford).
 */
final class MemoryFile {
    static final int PAGE_SHIFT = 16;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final int PAGE_MASK = PAGE_SIZE - 1;
    /** Read-only source for holes. */
    private static final byte[] ZEROS = new byte[PAGE_SIZE];

    private final long maxSize;
    private byte[][] pages = new byte[16][];
    private long size;

    MemoryFile(long maxSize) {
        this.maxSize = maxSize;
    }

    synchronized long size() {
        return size;
    }

    /** pread: copies up to {@code length} bytes at {@code offset} into {@code dst[index...]}; 0 at or after the end. */
    synchronized int read(long offset, ByteBuffer dst, int index, int length) {
        if (offset >= size) {
            return 0;
        }
        int n = (int) Math.min(length, size - offset);
        for (int done = 0; done < n; ) {
            long at = offset + done;
            int page = (int) (at >>> PAGE_SHIFT);
            int inPage = (int) (at & PAGE_MASK);
            int chunk = Math.min(n - done, PAGE_SIZE - inPage);
            byte[] bytes = page < pages.length ? pages[page] : null;
            if (bytes != null) {
                dst.put(index + done, bytes, inPage, chunk);
            } else {
                dst.put(index + done, ZEROS, 0, chunk);
            }
            done += chunk;
        }
        return n;
    }

    /** pwrite: copies {@code length} bytes from {@code src[index...]} to {@code offset}, growing the file. Returns the count or {@code -EFBIG}. */
    synchronized int write(long offset, ByteBuffer src, int index, int length) {
        if (offset > maxSize - length) {
            return -Errno.EFBIG;
        }
        for (int done = 0; done < length; ) {
            long at = offset + done;
            int page = (int) (at >>> PAGE_SHIFT);
            int inPage = (int) (at & PAGE_MASK);
            int chunk = Math.min(length - done, PAGE_SIZE - inPage);
            src.get(index + done, page(page), inPage, chunk);
            done += chunk;
        }
        size = Math.max(size, offset + length);
        return length;
    }

    /** write with O_APPEND: at the current end, decided under the same lock as the copy. */
    synchronized int append(ByteBuffer src, int index, int length) {
        return write(size, src, index, length);
    }

    /** ftruncate: drops the content beyond {@code newSize} (zeroing the tail of its last page) or grows the file with a hole. */
    synchronized int truncate(long newSize) {
        if (newSize < 0) {
            return -Errno.EINVAL;
        }
        if (newSize > maxSize) {
            return -Errno.EFBIG;
        }
        if (newSize < size) {
            int lastPage = (int) (newSize >>> PAGE_SHIFT);
            int inPage = (int) (newSize & PAGE_MASK);
            if (lastPage < pages.length && pages[lastPage] != null) {
                if (inPage == 0) {
                    pages[lastPage] = null;
                } else {
                    Arrays.fill(pages[lastPage], inPage, PAGE_SIZE, (byte) 0);
                }
            }
            for (int page = lastPage + 1; page < pages.length; page++) {
                pages[page] = null;
            }
        }
        size = newSize;
        return 0;
    }

    /** A copy of the whole content, for tests and tools. */
    synchronized byte[] toByteArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("file too large for an array: " + size + " bytes");
        }
        byte[] copy = new byte[(int) size];
        read(0, ByteBuffer.wrap(copy), 0, copy.length);
        return copy;
    }

    private byte[] page(int page) {
        if (page >= pages.length) {
            pages = Arrays.copyOf(pages, Math.max(pages.length * 2, page + 1));
        }
        byte[] bytes = pages[page];
        if (bytes == null) {
            bytes = new byte[PAGE_SIZE];
            pages[page] = bytes;
        }
        return bytes;
    }
}
