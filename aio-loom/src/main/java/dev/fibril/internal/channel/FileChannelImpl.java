/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.scheduler.CarrierGroup;
import dev.fibril.internal.scheduler.IoCall;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link FibrilFileChannel} over a backend fd: pread/pwrite/fsync requests through the carrier's
 * ring, and so are size (STATX) and truncate (FTRUNCATE) from a fibril where the rings carry them.
 *
 * <p>A file that has no offsets (a FIFO, a terminal) refuses every call with ESPIPE where the
 * backend passes offsets on (epoll, whose file calls are blocking calls on the carrier: reading
 * such a file at the kernel's position instead could hold the carrier for good). io_uring ignores
 * the offset on such files and waits for them as for a socket, so there every call reads or
 * writes the stream.
 */
public final class FileChannelImpl extends AbstractChannel implements FibrilFileChannel {
    /** {@code IORING_FSYNC_DATASYNC}. */
    private static final int FSYNC_DATASYNC = 1;
    /** Largest single transfer, as Linux caps read/write at about 2 GiB. */
    private static final int MAX_TRANSFER = 1 << 30;

    private final boolean readable;
    private final boolean writable;
    private final boolean append;
    private final String path;
    /** Guards {@link #position} for the relative read/write calls (a virtual-thread-friendly lock). */
    private final ReentrantLock positionLock = new ReentrantLock();
    private long position;

    public FileChannelImpl(CarrierGroup group, int fd, String path, boolean readable, boolean writable, boolean append)
            throws ClosedChannelException {
        super(group, fd, "FibrilFileChannel", java.util.Set.of());
        this.path = path;
        this.readable = readable;
        this.writable = writable;
        this.append = append;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        checkRead(dst);
        checkPosition(position);
        handle.begin();
        try {
            return readAt(dst, position);
        } finally {
            handle.end();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        checkRead(dst);
        handle.begin();
        positionLock.lock();
        try {
            int n = readAt(dst, position);
            if (n > 0) {
                position += n;
            }
            return n;
        } finally {
            positionLock.unlock();
            handle.end();
        }
    }

    private int readAt(ByteBuffer dst, long at) throws IOException {
        int length = Math.min(dst.remaining(), MAX_TRANSFER);
        if (length == 0) {
            return 0;
        }
        if (at > Long.MAX_VALUE - length) {
            return -1; // no file reaches there, and the kernel refuses a range past Long.MAX_VALUE (EINVAL)
        }
        int n = FdCalls.check(FdCalls.run(handle, FdCalls.begin(handle, Op.READ).buffer(dst, dst.position(), length).offset(at)),
                "pread", path);
        if (n == 0) {
            return -1;
        }
        dst.position(dst.position() + n);
        return n;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        checkWrite(src);
        checkPosition(position);
        handle.begin();
        try {
            return writeAt(src, position);
        } finally {
            handle.end();
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        checkWrite(src);
        handle.begin();
        positionLock.lock();
        try {
            long at = append ? sizeOrThrow() : position;
            int n = writeAt(src, at);
            position = at + n;
            return n;
        } finally {
            positionLock.unlock();
            handle.end();
        }
    }

    /** Writes every remaining byte, continuing after short writes with the same descriptor. */
    private int writeAt(ByteBuffer src, long at) throws IOException {
        int total = 0;
        if (!src.hasRemaining()) {
            return 0;
        }
        IoCall r = FdCalls.begin(handle, Op.WRITE);
        try {
            while (src.hasRemaining()) {
                int length = Math.min(src.remaining(), MAX_TRANSFER);
                r.op(Op.WRITE, handle.fd()).buffer(src, src.position(), length).offset(at + total);
                int n = FdCalls.check(FdCalls.submit(handle, r), "pwrite", path);
                src.position(src.position() + n);
                total += n;
            }
        } finally {
            r.end();
        }
        return total;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        handle.begin();
        try {
            FdCalls.check(FdCalls.run(handle, FdCalls.begin(handle, Op.FSYNC).opFlags(metaData ? 0 : FSYNC_DATASYNC)), "fsync", path);
        } finally {
            handle.end();
        }
    }

    @Override
    public long position() throws IOException {
        handle.ensureOpen();
        positionLock.lock();
        try {
            return position;
        } finally {
            positionLock.unlock();
        }
    }

    @Override
    public FibrilFileChannel position(long newPosition) throws IOException {
        checkPosition(newPosition);
        handle.ensureOpen();
        positionLock.lock();
        try {
            position = newPosition;
        } finally {
            positionLock.unlock();
        }
        return this;
    }

    @Override
    public long size() throws IOException {
        handle.begin();
        try {
            return sizeOrThrow();
        } finally {
            handle.end();
        }
    }

    private long sizeOrThrow() throws IOException {
        return sizeFor(handle);
    }

    /** The size, for a call of channel {@code caller} (see {@link FdCalls#size}). */
    long sizeFor(FdHandle caller) throws IOException {
        long size = FdCalls.size(caller, handle);
        if (size < 0) {
            FdCalls.check((int) size, "fstat", path);
        }
        return size;
    }

    @Override
    public FibrilFileChannel truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("negative size: " + size);
        }
        if (!writable) {
            throw new NonWritableChannelException();
        }
        handle.begin();
        positionLock.lock();
        try {
            if (size < sizeOrThrow()) {
                FdCalls.check(truncateTo(size), "ftruncate", path);
            }
            if (position > size) {
                position = size;
            }
            return this;
        } finally {
            positionLock.unlock();
            handle.end();
        }
    }

    /** An FTRUNCATE on the ring from a fibril of the group where the rings carry it, else the synchronous call. */
    private int truncateTo(long size) throws IOException {
        if (DescriptorCalls.onRing(group(), Op.FTRUNCATE)) {
            return FdCalls.run(handle, FdCalls.begin(handle, Op.FTRUNCATE).offset(size));
        }
        return group().backend().truncate(handle.fd(), size);
    }

    boolean readable() {
        return readable;
    }

    boolean writable() {
        return writable;
    }

    @Override
    void describe(StringBuilder out) {
        out.append(", ").append(path);
    }

    private void checkRead(ByteBuffer dst) {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("read into a read-only buffer");
        }
        if (!readable) {
            throw new NonReadableChannelException();
        }
    }

    private void checkWrite(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        if (!writable) {
            throw new NonWritableChannelException();
        }
    }

    private static void checkPosition(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("negative file position: " + position);
        }
    }
}
