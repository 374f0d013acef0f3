/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilSocketChannel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A file region mapped by {@link FibrilEndPoint#mapFile}: a read-only buffer of the file's bytes
 * that its end point sends from the file with sendFile. {@link #close()} releases it.
 */
public final class MappedFile implements AutoCloseable {
    private final FibrilEndPoint endPoint;
    private final Path path;
    private final FibrilFileChannel channel;
    private final long position;
    private final ByteBuffer buffer;

    MappedFile(FibrilEndPoint endPoint, Path path, FibrilFileChannel channel, long position, ByteBuffer buffer) {
        this.endPoint = endPoint;
        this.path = path;
        this.channel = channel;
        this.position = position;
        this.buffer = buffer;
    }

    /** The file's bytes; write this very buffer (not a slice) to have it sent from the file. */
    public ByteBuffer buffer() {
        return buffer;
    }

    Path path() {
        return path;
    }

    boolean isIn(ByteBuffer[] buffers) {
        for (ByteBuffer b : buffers) {
            if (b == buffer) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sends at most {@code most} of the bytes that remain of {@link #buffer()} from the file over
     * {@code socket}, parking until they are sent, and advances the buffer's position past them;
     * returns how many were sent.
     */
    long sendTo(FibrilSocketChannel socket, long most) throws IOException {
        long from = position + buffer.position();
        long count = Math.min(most, buffer.remaining());
        long sent = 0;
        while (sent < count) {
            long n = socket.sendFile(channel, from + sent, count - sent);
            if (n <= 0) {
                throw new EOFException(path + " ended at byte " + (from + sent) + ", before its mapped length");
            }
            sent += n;
            buffer.position(buffer.position() + (int) n);
        }
        return sent;
    }

    @Override
    public void close() throws IOException {
        endPoint.unmapped(this);
        channel.close();
    }
}
