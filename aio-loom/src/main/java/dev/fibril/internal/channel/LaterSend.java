/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.SendBuffers;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.IoCall;
import dev.fibril.internal.scheduler.RuntimeClosedException;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A socket channel's {@code sendLater}: a SEND in the ring that nobody waits for. The caller's
 * bytes are copied into one of the carrier's {@link SendBuffers}, the SEND is submitted and the
 * call returns; the completion, on the carrier's thread, sends a short send's rest with the same
 * request (after a POLL_ADD for room when the kernel took nothing), then gives the buffer back.
 *
 * <p>One send at a time per channel: IDLE -> IN_FLIGHT (the caller, which won the CAS, submits) ->
 * IDLE (its last completion). While IN_FLIGHT the send counts as a call of the channel (the fd
 * stays open), and the other output calls see it: write, awaitWritable and sendFile wait for IDLE
 * ({@link #awaitIdle}), tryWrite takes nothing, and shutdownOutput leaves its FIN to the send's
 * end (SHUT_AFTER), so bytes go out in the order they were given. A failure is kept and thrown by
 * the next output call, once.
 *
 * <p>The bytes were accepted when sendLater returned, so the channel's close does not cancel the
 * send, as close(2) does not drop what a socket's buffer holds: the fd is closed once the send is
 * done, or once {@link #LINGER} has passed (a peer that takes nothing), when the send is cancelled.
 */
final class LaterSend implements CompletionListener {
    /** How long a send in flight at the channel's close may take before it is cancelled. */
    static final Duration LINGER = Duration.ofSeconds(5);
    private static final Duration LINGER_STEP = Duration.ofMillis(250);
    private static final int IDLE = 0;
    private static final int IN_FLIGHT = 1;
    /** In flight, and the channel's output was shut meanwhile: the FIN goes once the send is done. */
    private static final int SHUT_AFTER = 2;

    private final FdHandle handle;
    private final SocketChannelImpl channel;
    private static final VarHandle STATE;
    private static final VarHandle FAILURE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(LaterSend.class, "state", int.class);
            FAILURE = lookup.findVarHandle(LaterSend.class, "failure", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile int state = IDLE;
    /** Threads waiting for IDLE; made by the first that waits (a channel that never waits pays nothing). */
    private volatile ConcurrentLinkedQueue<Thread> waiters;
    /** The send in flight: its carrier, buffer and request; written before the submission, then by its completions. */
    private Carrier carrier;
    private ByteBuffer buffer;
    private volatile Descriptor inFlight;
    /** Whether the request in flight is the POLL_ADD that waits for room (else the SEND). */
    private boolean polling;
    /** A spare waits to cancel the send in flight (the channel was closed); the carrier's owner only. */
    private boolean lingering;
    /** The errno of a send that failed, for the next output call; 0: none. */
    private volatile int failure;

    LaterSend(FdHandle handle, SocketChannelImpl channel) {
        this.handle = handle;
        this.channel = channel;
    }

    /**
     * Takes every remaining byte of {@code one}, or else of {@code many} ({@code total} of them, at
     * most a send buffer) and submits their send; 0, taking nothing, when a send is in flight,
     * another output call of the channel is sending, no send buffer is free, or the caller is no
     * fibril of the channel's carriers. Between the channel's begin and end.
     */
    int send(ByteBuffer one, ByteBuffer[] many, int total) throws IOException {
        if (!STATE.compareAndSet(this, IDLE, IN_FLIGHT)) {
            return 0;
        }
        boolean submitted = false;
        try {
            submitted = submit(one, many, total);
        } finally {
            if (!submitted && !STATE.compareAndSet(this, IN_FLIGHT, IDLE)) {
                // shutdownOutput came meanwhile and left its FIN to this send, which did not go:
                // the FIN first, so that no output call woken here overtakes it
                try {
                    channel.shutdownNow(IoRequest.SHUT_WR, false);
                } catch (IOException e) {
                    // the connection is gone: there is nobody to send a FIN to
                }
                state = IDLE;
                wakeWaiters();
            } else if (!submitted) {
                wakeWaiters();
            }
        }
        return submitted ? total : 0;
    }

    private boolean submit(ByteBuffer one, ByteBuffer[] many, int total) throws IOException {
        Carrier here = Carrier.current();
        if (here == null || here.group() != handle.group() || !Thread.currentThread().isVirtual()) {
            return false; // another thread: the caller could not know that the bytes were copied
        }
        if (channel.outputBusy()) {
            return false; // a write or sendFile sends: these bytes would go in the middle of theirs
        }
        handle.begin(); // the send is a call of the channel until its end
        boolean submitted = false;
        try {
            IoCall call = FdCalls.begin(handle, handle, Op.SEND, false); // an interrupt in the wait for a descriptor closes the channel
            try {
                Carrier c = call.carrier();
                ByteBuffer b = c == null ? null : c.sendBuffers().take();
                if (b == null) {
                    return false;
                }
                try {
                    if (one != null) {
                        copy(b, one);
                    } else {
                        for (ByteBuffer src : many) {
                            copy(b, src);
                        }
                    }
                } catch (RuntimeException e) {
                    c.sendBuffers().give(b); // a closed arena's buffer, or buffers grown since they were counted
                    throw e;
                }
                b.flip();
                // only now that every byte is copied: a copy that throws takes nothing
                if (one != null) {
                    one.position(one.limit());
                } else {
                    for (ByteBuffer src : many) {
                        src.position(src.limit());
                    }
                }
                Descriptor d = (Descriptor) call.request();
                d.notifies(this); // no channel: its close does not cancel a send it accepted
                this.carrier = c;
                this.buffer = b;
                this.inFlight = d;
                prepareSend(d);
                try {
                    c.io().submit(d);
                } catch (RuntimeException e) {
                    // the ring refused it (the descriptor is TAKEN again, for call.end): nothing is in flight
                    this.inFlight = null;
                    this.buffer = null;
                    c.sendBuffers().give(b);
                    throw e;
                }
                submitted = true;
                if (handle.isClosed()) {
                    armLinger(c); // a close that came before this submission found nothing in flight
                }
                return true;
            } finally {
                call.end(); // a SUBMITTED descriptor stays out of the pool until its completion
            }
        } finally {
            if (!submitted) {
                handle.end();
            }
        }
    }

    private static void copy(ByteBuffer into, ByteBuffer src) {
        int n = src.remaining();
        into.put(into.position(), src, src.position(), n);
        into.position(into.position() + n);
    }

    private void prepareSend(Descriptor d) {
        ByteBuffer b = buffer;
        d.prepare(Op.SEND, handle.fd(), b, b.position(), b.remaining(), 0);
        polling = false;
    }

    /** A completion of the send (or of its wait for room), on the send's carrier. */
    @Override
    public void onCompletion(Descriptor d) {
        int n = d.result();
        if (d != inFlight) {
            d.pool().release(d); // a completion after onCarrierFailed ended this send
            return;
        }
        ByteBuffer b = buffer;
        Carrier c = carrier;
        boolean more = polling ? n >= 0 : n >= 0 && n < b.remaining();
        if (more && (d.isCancelRequested() || c.isStopping())) {
            more = false; // the linger's cancel, or the runtime's stop, met the send between two requests
            n = -Errno.ECANCELED;
        }
        if (more) {
            d.retake(); // the rest, with the same request
            if (polling) {
                prepareSend(d);
            } else if (n == 0) {
                d.prepare(Op.POLL_ADD, handle.fd(), null, 0, 0, 0);
                d.opFlags(IoRequest.POLLOUT); // took nothing: wait for room rather than spin
                polling = true;
            } else {
                b.position(b.position() + n);
                prepareSend(d);
            }
            c.io().submit(d);
            return;
        }
        inFlight = null;
        d.pool().release(d);
        c.sendBuffers().give(b);
        buffer = null;
        if (n < 0 && n != -Errno.ECANCELED) {
            failure = -n; // a cancelled send belongs to a close or the runtime's stop, which the next call reports
        }
        end(c);
    }

    @Override
    public void onCarrierFailed(Descriptor d) {
        if (d != inFlight) {
            return;
        }
        inFlight = null; // d and the buffer stay out of their pools: the kernel may still read them
        Carrier c = carrier;
        c.sendBuffers().abandon();
        buffer = null;
        failure = Errno.EIO;
        end(c);
    }

    /**
     * The channel's shutdownOutput, between its begin and end: true if a send is in flight, and
     * the FIN is then sent after it (the bytes given before go first); false when none is, and the
     * caller shuts the output itself.
     */
    boolean shutdownAfterSend() {
        return STATE.compareAndSet(this, IN_FLIGHT, SHUT_AFTER) || state == SHUT_AFTER;
    }

    /**
     * The send on {@code c} (its carrier: the field may change once IDLE is published) is done:
     * IDLE, waiters woken, the call ended; or first the FIN, if the output was shut meanwhile.
     */
    private void end(Carrier c) {
        lingering = false;
        if (!STATE.compareAndSet(this, IN_FLIGHT, IDLE)) { // SHUT_AFTER: a shutdown is a ring call, made on a fibril
            try {
                c.runners().run(this::shutThenEnd); // rare: made when needed
                return;
            } catch (RuntimeException e) {
                state = IDLE; // the runtime is closing: it closes the channel, FIN or not
            }
        }
        wakeWaiters();
        if (handle.isClosed()) {
            // the last call of a closed channel closes its fd: on a spare, as a ring request,
            // rather than a close(2) on the carrier's thread
            try {
                c.runners().run(handle::end);
                return;
            } catch (RuntimeException e) {
                // the runtime is closing: the fd is closed here
            }
        }
        handle.end();
    }

    /** On a spare: the deferred FIN, then the send ends. */
    private void shutThenEnd() {
        try {
            if (!handle.isClosed()) {
                channel.shutdownNow(IoRequest.SHUT_WR, false);
            }
        } catch (IOException | RuntimeException e) {
            // the connection is gone: there is nobody to send a FIN to
        }
        state = IDLE;
        wakeWaiters();
        handle.end();
    }

    private void wakeWaiters() {
        ConcurrentLinkedQueue<Thread> q = waiters;
        if (q == null) {
            return;
        }
        for (Thread t = q.poll(); t != null; t = q.poll()) {
            LockSupport.unpark(t);
        }
    }

    /**
     * The channel was closed (any thread): its waiters throw, and a send still in flight gets
     * {@link #LINGER} to finish, then a spare of its carrier cancels it.
     */
    void onClose() {
        wakeWaiters();
        Descriptor d = inFlight; // volatile, written after carrier
        Carrier c = carrier;
        if (d != null && c != null) {
            c.submitCommand(() -> armLinger(c)); // a send submitted after this look arms it itself
        }
    }

    /** Owner of {@code c}: once per send, a spare waits {@link #LINGER}, then cancels it if still in flight. */
    private void armLinger(Carrier c) {
        if (inFlight == null || lingering || carrier != c) {
            return;
        }
        lingering = true; // once: close() may be called again
        try {
            c.runners().run(this::linger);
        } catch (RuntimeException e) {
            // the runtime is closing: its carriers cancel what is in flight
        }
    }

    /**
     * On a spare: waits up to {@link #LINGER} for the send to end, looking every
     * {@link #LINGER_STEP} (so the spare is free soon after a send that ends), then cancels it.
     */
    private void linger() {
        Carrier c = carrier;
        Descriptor lingered = inFlight;
        try {
            for (long waited = 0; waited < LINGER.toMillis() && inFlight == lingered && lingered != null;
                    waited += LINGER_STEP.toMillis()) {
                dev.fibril.Fibril.sleep(LINGER_STEP);
            }
        } catch (InterruptedException | RuntimeException e) {
            // the runtime is closing (its stop cancels what is in flight): cancel now all the same
        }
        try {
            c.enter();
        } catch (RuntimeClosedException e) {
            return; // the carrier is gone: its stop cancelled what was in flight
        }
        try {
            Descriptor d = inFlight;
            if (d != null && carrier == c) {
                c.io().cancel(d);
            }
        } finally {
            c.exit();
        }
    }

    /**
     * For every other output call of the channel, between its begin and end: waits while a send is
     * in flight, then throws what a failed one reported (once). From a fibril it parks; an interrupt
     * or the channel's close ends the wait as java.nio's blocking calls do.
     */
    void awaitIdle() throws IOException {
        Thread me = null;
        while (state != IDLE) {
            FdCalls.checkWaitEnded(handle);
            if (me == null) {
                me = Thread.currentThread();
            }
            ConcurrentLinkedQueue<Thread> q = waitQueue();
            q.add(me); // before every park: a wake-up dequeues it
            if (state != IDLE && !handle.isClosed()) { // a close wakes only those queued before it
                LockSupport.park(this);
            }
            q.remove(me);
        }
        takeFailure();
    }

    private ConcurrentLinkedQueue<Thread> waitQueue() {
        ConcurrentLinkedQueue<Thread> q = waiters;
        if (q == null) {
            synchronized (this) {
                q = waiters;
                if (q == null) {
                    q = new ConcurrentLinkedQueue<>();
                    waiters = q;
                }
            }
        }
        return q;
    }

    /** Throws what a failed send reported (once), without waiting: for the calls that never wait. */
    void takeFailure() throws ErrnoException {
        if (failure != 0) {
            int errno = (int) FAILURE.getAndSet(this, 0);
            if (errno != 0) {
                throw new ErrnoException("send", errno);
            }
        }
    }

    /** Whether a send is in flight. */
    boolean inFlight() {
        return state != IDLE;
    }
}
