/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.IoBatch;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.jdk.BufferSessions;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.IoCalls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link IoBatch} on one carrier: prepared requests are pooled descriptors owned by this batch
 * (a {@link CompletionListener}); completions queue up here as descriptor indices until
 * {@link #await} reports them. Used by one fibril, on its carrier's thread, so nothing here is
 * shared: plain fields throughout.
 */
public final class IoBatchImpl implements IoBatch, CompletionListener {
    private final Carrier carrier;
    private final Thread owner;
    private Descriptor[] prepared = new Descriptor[16];
    private int preparedCount;
    private final BatchRecords records = new BatchRecords();
    private int submitted; // submitted, not yet reported
    private boolean closed;

    public IoBatchImpl(Carrier carrier) {
        this.carrier = carrier;
        this.owner = Thread.currentThread();
    }

    @Override
    public void read(FibrilFileChannel file, ByteBuffer dst, long position, long tag) throws IOException {
        FileChannelImpl f = file(file);
        checkTarget(dst, position);
        if (!f.readable()) {
            throw new NonReadableChannelException();
        }
        prepare(f.handle, Op.READ, dst, position, tag);
    }

    @Override
    public void write(FibrilFileChannel file, ByteBuffer src, long position, long tag) throws IOException {
        FileChannelImpl f = file(file);
        Objects.requireNonNull(src, "src");
        checkPosition(position);
        if (!f.writable()) {
            throw new NonWritableChannelException();
        }
        prepare(f.handle, Op.WRITE, src, position, tag);
    }

    @Override
    public void fsync(FibrilFileChannel file, long tag) throws IOException {
        prepare(file(file).handle, Op.FSYNC, null, 0, tag);
    }

    @Override
    public void recv(FibrilSocketChannel socket, ByteBuffer dst, long tag) throws IOException {
        checkTarget(dst, 0);
        prepare(socket(socket).handle, Op.RECV, dst, 0, tag);
    }

    @Override
    public void send(FibrilSocketChannel socket, ByteBuffer src, long tag) throws IOException {
        Objects.requireNonNull(src, "src");
        prepare(socket(socket).handle, Op.SEND, src, 0, tag);
    }

    @Override
    public void nop(long tag) throws IOException {
        prepare(null, Op.NOP, null, 0, tag);
    }

    private void prepare(FdHandle handle, byte op, ByteBuffer buffer, long offset, long tag) throws IOException {
        checkOwner();
        if (handle != null) {
            handle.begin();
        }
        Descriptor d;
        carrier.enter(); // the batch's bookkeeping and the pool are the carrier's: see Ownership
        try {
            d = IoCalls.acquire(carrier);
        } catch (IOException | RuntimeException e) {
            carrier.exit();
            if (handle != null) {
                handle.end();
            }
            throw e;
        }
        try {
            record(d, handle, op, buffer, offset, tag);
        } finally {
            carrier.exit();
        }
    }

    private void record(Descriptor d, FdHandle handle, byte op, ByteBuffer buffer, long offset, long tag) {
        int fd = handle == null ? -1 : handle.fd();
        d.prepare(op, fd, buffer, buffer == null ? 0 : buffer.position(), buffer == null ? 0 : buffer.remaining(), offset);
        d.notifies(this);
        d.channel(handle);
        records.put(d.index(), tag, handle, buffer);
        if (preparedCount == prepared.length) {
            prepared = Arrays.copyOf(prepared, preparedCount * 2);
        }
        prepared[preparedCount++] = d;
    }

    @Override
    public int submit() throws IOException {
        checkOwner();
        carrier.enter();
        try {
            return submitPrepared();
        } finally {
            carrier.exit();
        }
    }

    private int submitPrepared() {
        int n = preparedCount;
        for (int i = 0; i < n; i++) {
            Descriptor d = prepared[i];
            try {
                if (BufferSessions.acquire(d.buffer())) { // held until the completion is reported
                    try {
                        d.buffer(BufferSessions.accessibleToAnyThread(d.buffer()));
                    } catch (RuntimeException e) {
                        BufferSessions.release(d.buffer());
                        throw e;
                    }
                }
            } catch (RuntimeException e) {
                dropPrepared(i); // this one and the rest never reach the kernel
                submitted += i;
                if (i > 0) {
                    carrier.io().flushAndReap();
                }
                throw e;
            }
            prepared[i] = null;
            carrier.io().submit(d);
            FdHandle handle = records.handle(d.index());
            if (handle != null && handle.isClosed()) {
                carrier.io().cancel(d);
            }
        }
        preparedCount = 0;
        submitted += n;
        carrier.io().flushAndReap();
        return n;
    }

    @Override
    public void onCompletion(Descriptor d) {
        records.completed(d.index());
        if (owner != Thread.currentThread()) {
            LockSupport.unpark(owner);
        }
    }

    @Override
    public int await(int min, CompletionHandler handler) throws IOException {
        checkOwner();
        Objects.requireNonNull(handler, "handler");
        if (min < 0) {
            throw new IllegalArgumentException("negative completion count: " + min);
        }
        return awaitCompletions(min, handler);
    }

    private int awaitCompletions(int min, CompletionHandler handler) throws IOException {
        carrier.enter();
        try {
            int want = Math.min(min, submitted);
            if (records.completedCount() < want) {
                carrier.io().flushAndReap();
            }
            while (records.completedCount() < want) {
                checkCarrier();
                carrier.parkOutside(this);
                if (Thread.interrupted()) {
                    cancelOutstanding();
                    Thread.currentThread().interrupt();
                    throw new java.nio.channels.ClosedByInterruptException();
                }
            }
        } finally {
            carrier.exit();
        }
        return report(handler);
    }

    /**
     * Reports every completion queued so far. Each descriptor goes back to the pool before the
     * handler or the buffer can throw, so none is lost. The buffer's position moves to where the
     * request started plus the bytes moved (not to wherever the caller has moved it meanwhile),
     * unless the caller has since set the limit below that.
     */
    private int report(CompletionHandler handler) throws ClosedChannelException {
        int reported = 0;
        while (true) {
            carrier.enter(); // the handler runs outside: it is the caller's code, and may block
            Descriptor d;
            int result;
            ByteBuffer buffer;
            int end;
            long tag;
            FdHandle handle;
            try {
                if (records.completedCount() == 0) {
                    return reported;
                }
                d = carrier.pool().byIndex(records.takeCompleted());
                submitted--;
                result = d.result();
                buffer = records.buffer(d.index());
                end = d.position() + Math.max(result, 0);
                tag = records.tag(d.index());
                handle = records.handle(d.index());
                records.clear(d.index());
                carrier.pool().release(d);
            } finally {
                carrier.exit();
            }
            if (handle != null) {
                handle.end();
            }
            BufferSessions.release(buffer);
            if (result > 0 && buffer != null && end <= buffer.limit()) {
                buffer.position(end); // bytes read into, or taken from, the buffer
            }
            reported++;
            handler.onCompletion(tag, result);
        }
    }

    @Override
    public int outstanding() {
        return submitted;
    }

    /** Cancels what is outstanding, waits for every completion, releases prepared descriptors. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        checkOwner();
        carrier.enter();
        try {
            dropPrepared(0);
            closed = true;
            awaitAll();
        } finally {
            carrier.exit();
        }
    }

    /**
     * Waits for every outstanding completion whatever happens: a descriptor given back while its
     * request is in the kernel, or a channel whose call count never returns to zero, would be lost
     * for the carrier's life. An interrupt cancels what is outstanding and is restored once nothing
     * is left. Inside a section.
     */
    private void awaitAll() throws IOException {
        boolean interrupted = Thread.interrupted();
        if (interrupted) {
            cancelOutstanding();
        }
        try {
            while (submitted > 0) {
                if (records.completedCount() < submitted) {
                    carrier.io().flushAndReap();
                }
                while (records.completedCount() < submitted) {
                    checkCarrier();
                    carrier.parkOutside(this);
                    if (Thread.interrupted() && !interrupted) {
                        interrupted = true;
                        cancelOutstanding();
                    }
                }
                report((tag, result) -> { }); // nothing of the caller's runs in it
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Releases prepared, never submitted descriptors from index {@code from} on. Inside a section. */
    private void dropPrepared(int from) {
        for (int i = from; i < preparedCount; i++) {
            Descriptor d = prepared[i];
            prepared[i] = null;
            FdHandle handle = records.handle(d.index());
            records.clear(d.index());
            carrier.pool().release(d);
            if (handle != null) {
                handle.end();
            }
        }
        preparedCount = 0;
    }

    @Override
    public void onCarrierFailed(Descriptor d) {
        if (owner != Thread.currentThread()) {
            LockSupport.unpark(owner);
        }
    }

    /** Throws the carrier's failure: its outstanding requests will never complete (their descriptors stay out of the pool). */
    private void checkCarrier() throws IOException {
        if (carrier.failure() != null) {
            submitted = records.completedCount();
            throw carrier.failedException();
        }
    }

    private void cancelOutstanding() {
        carrier.pool().forEachSubmitted(d -> {
            if (d.listener() == this) {
                carrier.io().cancel(d);
            }
        });
    }

    private void checkOwner() throws ClosedChannelException {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an IoBatch is used only by the fibril that opened it");
        }
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    private static void checkTarget(ByteBuffer dst, long position) {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("read into a read-only buffer");
        }
        checkPosition(position);
    }

    private static void checkPosition(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("negative file position: " + position);
        }
    }

    private FileChannelImpl file(FibrilFileChannel file) {
        if (file instanceof FileChannelImpl f && f.handle.group() == carrier.group()) {
            return f;
        }
        throw new IllegalArgumentException("not a file channel of this runtime: " + file);
    }

    private SocketChannelImpl socket(FibrilSocketChannel socket) {
        if (socket instanceof SocketChannelImpl s && s.handle.group() == carrier.group()) {
            return s;
        }
        throw new IllegalArgumentException("not a socket channel of this runtime: " + socket);
    }
}
