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
    private long[] tagByIndex = new long[64];
    private ChannelCore[] coreByIndex = new ChannelCore[64];
    /** The caller's buffer per descriptor index (the descriptor may carry a view of it). */
    private ByteBuffer[] bufferByIndex = new ByteBuffer[64];
    private int[] completed = new int[16];
    private int completedHead;
    private int completedCount;
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
        prepare(f.core(), Op.READ, dst, position, tag);
    }

    @Override
    public void write(FibrilFileChannel file, ByteBuffer src, long position, long tag) throws IOException {
        FileChannelImpl f = file(file);
        Objects.requireNonNull(src, "src");
        checkPosition(position);
        if (!f.writable()) {
            throw new NonWritableChannelException();
        }
        prepare(f.core(), Op.WRITE, src, position, tag);
    }

    @Override
    public void fsync(FibrilFileChannel file, long tag) throws IOException {
        prepare(file(file).core(), Op.FSYNC, null, 0, tag);
    }

    @Override
    public void recv(FibrilSocketChannel socket, ByteBuffer dst, long tag) throws IOException {
        checkTarget(dst, 0);
        prepare(socket(socket).core(), Op.RECV, dst, 0, tag);
    }

    @Override
    public void send(FibrilSocketChannel socket, ByteBuffer src, long tag) throws IOException {
        Objects.requireNonNull(src, "src");
        prepare(socket(socket).core(), Op.SEND, src, 0, tag);
    }

    @Override
    public void nop(long tag) throws IOException {
        prepare(null, Op.NOP, null, 0, tag);
    }

    private void prepare(ChannelCore core, byte op, ByteBuffer buffer, long offset, long tag) throws IOException {
        checkOwner();
        if (core != null) {
            core.begin();
        }
        Descriptor d;
        carrier.enter(); // the batch's bookkeeping and the pool are the carrier's: see Ownership
        try {
            d = IoCalls.acquire(carrier);
        } catch (IOException | RuntimeException e) {
            carrier.exit();
            if (core != null) {
                core.end();
            }
            throw e;
        }
        try {
            record(d, core, op, buffer, offset, tag);
        } finally {
            carrier.exit();
        }
    }

    private void record(Descriptor d, ChannelCore core, byte op, ByteBuffer buffer, long offset, long tag) {
        int fd = core == null ? -1 : core.fd();
        d.prepare(op, fd, buffer, buffer == null ? 0 : buffer.position(), buffer == null ? 0 : buffer.remaining(), offset);
        d.notifies(this);
        d.channel(core);
        int i = d.index();
        if (i >= tagByIndex.length) {
            int n = Math.max(i + 1, tagByIndex.length * 2);
            tagByIndex = Arrays.copyOf(tagByIndex, n);
            coreByIndex = Arrays.copyOf(coreByIndex, n);
            bufferByIndex = Arrays.copyOf(bufferByIndex, n);
        }
        bufferByIndex[i] = buffer;
        tagByIndex[i] = tag;
        coreByIndex[i] = core;
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
            ChannelCore core = coreByIndex[d.index()];
            if (core != null && core.isClosed()) {
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
        if (completedCount == completed.length) {
            int[] bigger = new int[completed.length * 2];
            for (int i = 0; i < completedCount; i++) {
                bigger[i] = completed[(completedHead + i) % completed.length];
            }
            completed = bigger;
            completedHead = 0;
        }
        completed[(completedHead + completedCount) % completed.length] = d.index();
        completedCount++;
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
            if (completedCount < want) {
                carrier.io().flushAndReap();
            }
            while (completedCount < want) {
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
            ChannelCore core;
            try {
                if (completedCount == 0) {
                    return reported;
                }
                d = carrier.pool().byIndex(completed[completedHead]);
                completedHead = (completedHead + 1) % completed.length;
                completedCount--;
                submitted--;
                result = d.result();
                buffer = bufferByIndex[d.index()];
                bufferByIndex[d.index()] = null;
                end = d.position() + Math.max(result, 0);
                tag = tagByIndex[d.index()];
                core = coreByIndex[d.index()];
                coreByIndex[d.index()] = null;
                carrier.pool().release(d);
            } finally {
                carrier.exit();
            }
            if (core != null) {
                core.end();
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
                if (completedCount < submitted) {
                    carrier.io().flushAndReap();
                }
                while (completedCount < submitted) {
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
            ChannelCore core = coreByIndex[d.index()];
            coreByIndex[d.index()] = null;
            bufferByIndex[d.index()] = null;
            carrier.pool().release(d);
            if (core != null) {
                core.end();
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
            submitted = completedCount;
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
        if (file instanceof FileChannelImpl f && f.core().group() == carrier.group()) {
            return f;
        }
        throw new IllegalArgumentException("not a file channel of this runtime: " + file);
    }

    private SocketChannelImpl socket(FibrilSocketChannel socket) {
        if (socket instanceof SocketChannelImpl s && s.core().group() == carrier.group()) {
            return s;
        }
        throw new IllegalArgumentException("not a socket channel of this runtime: " + socket);
    }
}
