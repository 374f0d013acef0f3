package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.internal.scheduler.CarrierGroup;
import dev.fibril.internal.scheduler.CloseSignal;
import dev.fibril.internal.scheduler.IoCalls;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every Fibril channel shares: the fd, the open/closed state, and the count of calls in
 * progress, so that close never frees an fd that a request still names.
 *
 * <p>State: one int, bit 31 = closed, the rest = calls in progress. {@code begin} counts a call in
 * unless closed; {@code close} sets the bit and, when calls are in progress, cancels their
 * requests on every carrier; whoever brings the count to zero with the bit set (close itself, or
 * the last call's {@code end}) closes the fd, exactly once. The cancel names this core, never the
 * fd number: it reaches the carriers after the close returns, possibly after the fd was closed
 * and its number handed to a new channel.
 */
final class ChannelCore implements CloseSignal {
    private static final int CLOSED = 1 << 31;

    private final CarrierGroup group;
    private final Closeable owner;
    private final int fd;
    private final AtomicInteger state = new AtomicInteger();

    ChannelCore(CarrierGroup group, Closeable owner, int fd) throws ClosedChannelException {
        this.group = group;
        this.owner = owner;
        this.fd = fd;
        group.register(owner);
    }

    int fd() {
        return fd;
    }

    CarrierGroup group() {
        return group;
    }

    @Override
    public boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** Counts a call in; throws if the channel is closed. */
    void begin() throws ClosedChannelException {
        int s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                throw new ClosedChannelException();
            }
        } while (!state.compareAndSet(s, s + 1));
    }

    void end() {
        if (state.decrementAndGet() == CLOSED) {
            closeFd();
        }
    }

    /** Idempotent. Cancels calls in progress (they throw {@link AsynchronousCloseException}). */
    void close() {
        int s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
        } while (!state.compareAndSet(s, s | CLOSED));
        if (s == 0) {
            closeFd();
        } else {
            IoCalls.cancelAllOn(group, this);
        }
    }

    private void closeFd() {
        group.unregister(owner);
        // Only now, with no call of this channel in progress, so no request in flight names the fd
        // when its number is released for reuse.
        DescriptorCalls.close(group, fd);
    }

    /**
     * The file's size: a STATX on the ring from a fibril of the group, where the backend's rings
     * carry it; the backend's synchronous call elsewhere. Between {@link #begin} and {@link #end}.
     * Returns {@code -errno} on failure; throws as {@link #call} on a cancellation.
     */
    long size() throws IOException {
        return size(this);
    }

    /**
     * As {@link #size()} for a call of channel {@code caller} (sendFile's socket): an interrupt
     * closes {@code caller}, the interrupted call's channel, as java.nio's does; a close of this
     * channel still ends the wait with {@link AsynchronousCloseException}.
     */
    long size(ChannelCore caller) throws IOException {
        if (!DescriptorCalls.onRing(group, dev.fibril.aio.spi.Op.STATX)) {
            return group.backend().size(fd);
        }
        IoRequest r = begin(caller, true);
        try {
            r.prepare(dev.fibril.aio.spi.Op.STATX, fd, null, 0, 0, 0);
            int result = checkCancelled(caller.checkCancelled(IoCalls.submitAndAwait(r, 0, this)));
            return result < 0 ? result : r.size(); // read before end() gives the request back
        } finally {
            IoCalls.end(r);
        }
    }

    /**
     * One request, start to finish: takes a descriptor, lets {@code setup} fill it, submits it and
     * parks until its completion. Returns the CQE result; turns a cancellation into the exception
     * java.nio would throw (closing the channel on interrupt).
     */
    int call(byte op, ByteBuffer buffer, int position, int length, long offset, int opFlags,
             java.net.InetSocketAddress address) throws IOException {
        return call(op, buffer, position, length, offset, opFlags, address, 0);
    }

    /** As above, with a LINK_TIMEOUT of {@code timeoutNanos} (0: none); a timed-out request returns -ECANCELED. */
    int call(byte op, ByteBuffer buffer, int position, int length, long offset, int opFlags,
             java.net.InetSocketAddress address, long timeoutNanos) throws IOException {
        // a non-blocking send ignores the interrupt status, as java.nio's non-blocking write does
        boolean blocking = op != dev.fibril.aio.spi.Op.SEND || (opFlags & IoRequest.SEND_DONTWAIT) == 0;
        IoRequest r = begin(this, blocking);
        try {
            r.prepare(op, fd, buffer, position, length, offset);
            r.opFlags(opFlags);
            r.address(address);
            return checkCancelled(IoCalls.submitAndAwait(r, timeoutNanos, this));
        } finally {
            IoCalls.end(r);
        }
    }

    /** Like {@link #call} for a request handle the caller keeps across several submissions. */
    IoRequest beginRequest() throws IOException {
        return begin(this, true);
    }

    int submit(IoRequest r) throws IOException {
        return checkCancelled(IoCalls.submitAndAwait(r, this));
    }

    /** As {@link #submit(IoRequest)}, with a LINK_TIMEOUT of {@code timeoutNanos} (0: none). */
    int submit(IoRequest r, long timeoutNanos) throws IOException {
        return checkCancelled(IoCalls.submitAndAwait(r, timeoutNanos, this));
    }

    /** Turns an interrupt or a close seen while the caller waited outside a request into java.nio's exception. */
    void checkWaitEnded() throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            close();
            throw new ClosedByInterruptException();
        }
        if (isClosed()) {
            throw new AsynchronousCloseException();
        }
    }

    private static IoRequest begin(ChannelCore core, boolean blocking) throws IOException {
        if (blocking && Thread.currentThread().isInterrupted()) {
            // java.nio's rule: a call made with the interrupt status set closes the channel and
            // throws, on every backend alike (the status stays set)
            core.close();
            throw new ClosedByInterruptException();
        }
        try {
            return IoCalls.begin(core.group, core.fd);
        } catch (ClosedByInterruptException e) {
            core.close();
            throw e;
        }
    }

    private int checkCancelled(int result) throws IOException {
        if (result != -Errno.ECANCELED) {
            return result;
        }
        if (Thread.currentThread().isInterrupted()) {
            close();
            throw new ClosedByInterruptException();
        }
        if (isClosed()) {
            throw new AsynchronousCloseException();
        }
        return result;
    }

    /** {@code result} as a count, or the errno as an exception naming {@code operation}. */
    static int check(int result, String operation) throws ErrnoException {
        if (result < 0) {
            throw new ErrnoException(operation, -result);
        }
        return result;
    }

    /** As {@link #check(int, String)}, naming the operation and its target; builds no string unless it fails. */
    static int check(int result, String operation, Object target) throws ErrnoException {
        if (result < 0) {
            throw new ErrnoException(operation + " " + target, -result);
        }
        return result;
    }
}
