package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.IoCalls;

import java.io.IOException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A server channel's accepts through one multishot ACCEPT ({@link IoRequest#ACCEPT_MULTISHOT}),
 * where the backend has it: one request accepts every connection, each fd goes to a queue, and
 * {@link #accept()} takes from the queue, parking while it is empty.
 *
 * <p>Threads: accept callers (fibrils of any carrier) take fds and park as waiters; the carrier
 * whose descriptor carries the ACCEPT (its loop, or a fibril in a section) is the one that adds
 * fds, in {@link #onMoreCompletion} and {@link #onCompletion}. Every added fd wakes every waiter
 * (one woken waiter may be leaving, interrupted, and must not swallow the wake-up).
 *
 * <pre>
 *  IDLE  -> ARMED  an accept caller that found the queue empty submits the ACCEPT (a fibril of the
 *                  group; any other caller accepts single-shot, as before)
 *  ARMED -> ARMED  the kernel ended it with an fd and no error: submitted again at once
 *  ARMED -> IDLE   it ended otherwise: cancelled because {@link #QUEUE_BOUND} fds wait (the rest wait
 *                  in the kernel's listen backlog until the queue is empty and a caller arms it
 *                  again), an error (the next accept throws it), the channel's close, the runtime's
 * </pre>
 *
 * The ACCEPT counts as a call of the channel while armed ({@link ChannelCore#begin}), so the
 * listening fd is closed only after its last completion; at the close every fd still queued is
 * closed, by whoever sees the queue last: the close (nothing armed) or the last completion.
 */
final class MultishotAccept implements CompletionListener {
    /** Fds queued before the ACCEPT is cancelled; those the kernel posts before the cancel lands queue too. */
    static final int QUEUE_BOUND = 64;
    private static final int IDLE = 0;
    private static final int ARMED = 1;

    private final ChannelCore core;
    // Accepts are not the data path: an fd boxed per connection, next to the channel object made for it.
    private final ConcurrentLinkedQueue<Integer> accepted = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final ConcurrentLinkedQueue<Thread> waiters = new ConcurrentLinkedQueue<>();
    private final AtomicInteger state = new AtomicInteger(IDLE);
    /** The errno that ended the ACCEPT, for the next caller to throw; 0 for none. */
    private final AtomicInteger error = new AtomicInteger();
    /** The carrier of the armed ACCEPT; written before it is submitted, read on that carrier. */
    private volatile Carrier carrier;
    /** The ACCEPT was cancelled because the queue is full; its carrier's only. */
    private boolean pausing;

    private MultishotAccept(ChannelCore core) {
        this.core = core;
    }

    /** A helper for {@code core}'s listening socket, or null where the backend accepts single-shot only. */
    static MultishotAccept createIfSupported(ChannelCore core) {
        return core.group().backend().acceptsMultishot() ? new MultishotAccept(core) : null;
    }

    /**
     * An accepted fd, parking until one comes; -1 when this caller cannot arm the ACCEPT (not a
     * fibril of the group) and should accept single-shot. Between {@code core.begin} and {@code end}.
     *
     * @throws ErrnoException for an error that ended the ACCEPT (EMFILE, ENFILE, ...), once
     * @throws java.nio.channels.ClosedByInterruptException,
     *         java.nio.channels.AsynchronousCloseException as java.nio's accept
     */
    int accept() throws IOException {
        while (true) {
            Integer fd = accepted.poll();
            if (fd != null) {
                queued.decrementAndGet();
                return fd;
            }
            int errno = error.getAndSet(0);
            if (errno != 0) {
                throw new ErrnoException("accept", errno);
            }
            if (state.get() == IDLE) {
                if (!arm()) {
                    return -1;
                }
                continue;
            }
            Carrier c = carrier;
            if (c != null && c.failure() != null) {
                throw c.failedException();
            }
            Thread me = Thread.currentThread();
            waiters.add(me);
            // added before the look: an fd offered after it finds this waiter and unparks it
            if (accepted.isEmpty() && state.get() == ARMED && error.get() == 0 && !core.isClosed()) {
                LockSupport.park(this);
            }
            waiters.remove(me);
            core.checkWaitEnded();
        }
    }

    /** Submits the ACCEPT from a fibril on its carrier; false (nothing done) for any other caller. */
    private boolean arm() throws IOException {
        if (!DescriptorCalls.onRing(core.group(), Op.ACCEPT)) {
            return false;
        }
        IoRequest r = IoCalls.begin(core.group(), core.fd());
        try {
            if (!(r instanceof Descriptor d) || !state.compareAndSet(IDLE, ARMED)) {
                return r instanceof Descriptor; // another caller armed it meanwhile
            }
            try {
                core.begin(); // the ACCEPT is a call of the channel until its last completion
            } catch (IOException e) {
                state.set(IDLE);
                throw e;
            }
            carrier = Carrier.current();
            d.notifies(this);
            d.channel(core);
            submit(d);
            return true;
        } finally {
            IoCalls.end(r); // d stays out of the pool while SUBMITTED
        }
    }

    private void submit(Descriptor d) {
        d.prepare(Op.ACCEPT, core.fd(), null, 0, 0, 0);
        d.opFlags(IoRequest.ACCEPT_MULTISHOT);
        carrier.io().submit(d);
        if (core.isClosed()) {
            carrier.io().cancel(d); // a close that came before this submission found nothing to cancel
        }
    }

    /** An accepted fd, with more to come. On the ACCEPT's carrier. */
    @Override
    public void onMoreCompletion(Descriptor d, int fd) {
        if (fd >= 0) {
            offer(fd);
        }
        if (queued.get() >= QUEUE_BOUND && !pausing && !core.isClosed()) {
            pausing = true; // the rest wait in the listen backlog
            carrier.io().cancel(d);
        }
    }

    /** The ACCEPT's last completion. On its carrier. */
    @Override
    public void onCompletion(Descriptor d) {
        int res = d.result();
        if (res >= 0) {
            offer(res);
        }
        boolean closed = core.isClosed();
        if (res >= 0 && !pausing && !closed && !carrier.isStopping() && queued.get() < QUEUE_BOUND) {
            d.retake();
            submit(d); // the kernel ended it (it may, at any time): accept on
            return;
        }
        if (res < 0 && res != -Errno.ECANCELED && !closed) {
            error.set(-res); // EMFILE and the like: the next accept throws it, the one after arms again
        }
        pausing = false;
        d.pool().release(d);
        state.set(IDLE);
        if (closed) {
            closeQueued();
        }
        wakeAll();
        core.end(); // the last call of a closed channel closes its fd
    }

    @Override
    public void onCarrierFailed(Descriptor d) {
        wakeAll(); // they throw the carrier's failure; d stays out of the pool
    }

    /** The channel was closed: wakes the waiters and, with nothing armed, closes the queued fds. Any thread. */
    void onClose() {
        if (state.get() == IDLE) {
            closeQueued(); // else the last completion does, after the kernel posted its last fd
        }
        wakeAll();
    }

    /** Fds accepted and not taken yet (tests). */
    int queued() {
        return queued.get();
    }

    private void offer(int fd) {
        accepted.add(fd);
        queued.incrementAndGet();
        wakeAll();
    }

    private void closeQueued() {
        Integer fd;
        while ((fd = accepted.poll()) != null) {
            queued.decrementAndGet();
            DescriptorCalls.close(core.group(), fd);
        }
    }

    private void wakeAll() {
        for (Thread t : waiters) {
            LockSupport.unpark(t);
        }
    }
}
