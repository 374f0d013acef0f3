/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;

/**
 * A file opened through a Fibril runtime. Reads and writes are submitted to the runtime's
 * completion ring and park the calling fibril until the kernel completes them; a thread that is
 * not a fibril of the runtime blocks instead.
 *
 * <p>Closing the channel while another thread is blocked in it makes that call throw
 * {@link java.nio.channels.AsynchronousCloseException}; interrupting a blocked caller cancels its
 * request, closes the channel and throws {@link java.nio.channels.ClosedByInterruptException}.
 *
 * <p>A file without offsets (a FIFO, a terminal): on io_uring every read and write goes through it
 * in order, waiting as a socket's do (io_uring ignores the offset on such a file); the epoll
 * backend, whose file calls are blocking calls on the carrier, refuses each one with an
 * {@link ErrnoException} for ESPIPE (as pread(2) does) rather than hold the carrier while one waits.
 */
public interface FibrilFileChannel extends SeekableByteChannel {

    /**
     * Reads up to {@code dst.remaining()} bytes starting at file {@code position}, without
     * changing the channel's own position. Returns the bytes read, or -1 at end of file.
     *
     * @throws IllegalArgumentException if {@code position} is negative
     * @throws java.nio.channels.NonWritableChannelException never; a read-only {@code dst} gives
     *         {@link IllegalArgumentException}
     * @throws java.nio.channels.NonReadableChannelException if the file was not opened for reading
     * @throws ErrnoException if the kernel reports an error (for example EIO)
     */
    int read(ByteBuffer dst, long position) throws IOException;

    /**
     * Writes all of {@code src.remaining()} bytes at file {@code position}, without changing the
     * channel's own position. Returns the bytes written.
     *
     * @throws IllegalArgumentException if {@code position} is negative
     * @throws java.nio.channels.NonWritableChannelException if the file was not opened for writing
     */
    int write(ByteBuffer src, long position) throws IOException;

    /** Flushes the file's data (and metadata when {@code metaData}) to its storage: fsync. */
    void force(boolean metaData) throws IOException;
}
