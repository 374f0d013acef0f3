package dev.fibril.internal.channel;

import dev.fibril.internal.scheduler.CarrierGroup;
import dev.fibril.internal.scheduler.CloseSignal;
import dev.fibril.internal.scheduler.IoCalls;

import java.io.Closeable;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A channel's fd and its lifetime, shared by the calls in flight on it (monoio's {@code SharedFd}):
 * close never frees an fd that a request still names.
 *
 * <p>State: one int, bit 31 = closed, the rest = calls in progress.
 * <pre>
 *  open, n calls  -> open, n+1     {@link #begin}: a call counts in (CAS), unless closed
 *  open, n+1      -> open, n       {@link #end}
 *  open, 0        -> closed        {@link #close}: the fd is closed at once
 *  open, n > 0    -> closing, n    {@link #close}: the calls' requests are cancelled on every carrier
 *  closing, 1     -> closed        the last call's {@link #end} closes the fd
 * </pre>
 * Whoever brings the count to zero with the bit set closes the fd, exactly once. The cancel names
 * this handle, never the fd number: it reaches the carriers after the close returns, possibly
 * after the fd was closed and its number handed to a new channel. Any thread.
 */
final class FdHandle implements CloseSignal {
    private static final int CLOSED = 1 << 31;

    private final CarrierGroup group;
    private final Closeable owner;
    private final int fd;
    private final AtomicInteger state = new AtomicInteger();

    /** Registers {@code owner} with the group (which closes it with the runtime). */
    FdHandle(CarrierGroup group, Closeable owner, int fd) throws ClosedChannelException {
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

    /** Counts a call out; the last one out of a closed handle closes the fd. */
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

    /** Throws {@link ClosedChannelException} once closed. */
    void ensureOpen() throws ClosedChannelException {
        if (isClosed()) {
            throw new ClosedChannelException();
        }
    }

    private void closeFd() {
        group.unregister(owner);
        // Only now, with no call of this channel in progress, so no request in flight names the fd
        // when its number is released for reuse.
        DescriptorCalls.close(group, fd);
    }
}
