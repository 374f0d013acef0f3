/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.Errno;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.CarrierCommand;
import dev.fibril.internal.scheduler.RuntimeClosedException;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The standing half of an {@link ArmedReceive}: where the ring takes multishot receives
 * ({@link dev.fibril.aio.spi.IoRequest#RECV_MULTISHOT}) the RECV stays in the ring after its first
 * result, and the next {@code receiveLater} submits nothing: a connection that reads on costs one
 * completion per read. A result that comes while no task is armed waits in a
 * {@link ReceiveBacklog}, and the next arm takes it at once.
 *
 * <p>A reader that falls behind does not take the carrier's buffers from every other connection:
 * at {@link #BACKLOG_BOUND} waiting results the RECV is cancelled (results the kernel posts before
 * the cancel lands wait too; none is lost) and the bytes after them wait in the socket until the
 * backlog was taken and a new arm submits again.
 *
 * <p>Everything here but {@link #on} is its carrier's (the loop, a command, or a section of a
 * fibril on it): an arm from a fibril of that carrier takes the backlog in a section, one from
 * elsewhere through a carrier command. The RECV counts as a call of the channel of its own, from
 * its submission to its last completion, so the close's cancel ends it before the fd is closed;
 * the close gives back what waits in the backlog. Made with its {@link ArmedReceive} where the
 * backend takes multishot receives.
 */
final class StandingReceive implements CompletionListener {
    /** Results waiting for nobody at which the standing receive is cancelled; a power of two. */
    static final int BACKLOG_BOUND = 4;

    private final ArmedReceive armed;
    private final FdHandle handle;
    /** The carrier whose ring holds the receive or whose backlog is not empty; else null. Cleared on that carrier only. */
    private volatile Carrier on;
    /** The multishot RECV while it is in the ring; its carrier's. */
    private Descriptor request;
    /** Results the receive got for nobody; made on the first. Its carrier's. */
    private ReceiveBacklog backlog;
    /** The RECV was cancelled (the backlog is full, or a receive retires it); its carrier's. */
    private boolean cancelling;
    /** The armed task asked for the RECV to be cancelled; written before ARMED, read on its carrier. */
    private boolean retire;

    StandingReceive(ArmedReceive armed, FdHandle handle) {
        this.armed = armed;
        this.handle = handle;
    }

    /** The carrier a receive stands on or whose backlog holds results, or null: receives go through it until neither. */
    Carrier carrier() {
        return on;
    }

    /** {@code d}, a multishot RECV, goes to {@code c}'s ring: its own call of the channel until its last completion. On {@code c}. */
    void started(Carrier c, Descriptor d) throws java.nio.channels.ClosedChannelException {
        handle.begin();
        request = d;
        on = c;
    }

    /** The submission after {@link #started} failed: nothing stands. */
    void notStarted() {
        if (request != null) {
            request = null;
            on = null;
            handle.end();
        }
    }

    /** Whether the task about to be armed asks for the RECV to be cancelled too; written before ARMED is published. */
    void retireOnArm(boolean retire) {
        this.retire = retire;
    }

    /** Armed, with a receive standing on {@code s}: hands the task its next result, on {@code s}. */
    void take(Carrier s, boolean onFibril) throws RuntimeClosedException {
        if (onFibril && Carrier.current() == s) {
            try {
                s.enter();
            } catch (RuntimeClosedException closed) {
                armed.withdraw(); // the runtime is closing: the task does not run
                throw closed;
            }
            try {
                pump(s);
            } finally {
                s.exit();
            }
            return;
        }
        Command command = new Command(s); // an arm from another thread: the rare path
        s.submitCommand(command);
        if (s.isTerminated() && command.claim()) {
            armed.withdraw(); // its carrier ended before it could run the command
        }
    }

    /** On {@code s}: the armed task gets the oldest waiting result, or the receive's next one. */
    private void pump(Carrier s) {
        boolean waiting = armed.state() == ArmedResult.ARMED;
        if (!waiting || on != s) {
            if (waiting) {
                armed.fallBack(s); // nothing stands on s any more (its carrier failed, or the close drained it)
            }
            return; // a completion handed a result over meanwhile
        }
        if (retire && request != null && !cancelling) {
            cancelling = true; // its last completion comes, and with it every result it got
            ArmedReceive.cancel(s, request);
        }
        retire = false;
        if (backlog != null && backlog.size() > 0) {
            long e = backlog.poll();
            if (request == null && backlog.size() == 0) {
                on = null; // before the result is published: its taker may then receive as usual
            }
            armed.handOverResult(s, ReceiveBacklog.result(e), ReceiveBacklog.bufferId(e));
        } else if (request == null) {
            on = null;
            armed.fallBack(s);
        } // else the receive's next completion hands it over
    }

    /** A task armed from another thread, taking its result on the standing receive's carrier. */
    private final class Command extends AtomicBoolean implements CarrierCommand {
        private final Carrier carrier;

        Command(Carrier carrier) {
            this.carrier = carrier;
        }

        boolean claim() {
            return compareAndSet(false, true);
        }

        @Override
        public void run() {
            if (claim()) {
                pump(carrier);
            }
        }

        @Override
        public void abandon() {
            if (claim()) {
                armed.withdraw();
            }
        }
    }

    /** One result of the receive, which goes on. On its carrier. */
    @Override
    public void onMoreCompletion(Descriptor d, int n) {
        Carrier s = on;
        int id = d.selectedBuffer();
        if (d != request || s == null) {
            throw new IllegalStateException("a multishot receive's completion for a receive that does not stand");
        }
        if (id >= 0) {
            s.receiveBuffers().picked();
        }
        offerOrHandOver(s, n, id);
    }

    /** On {@code s}: a result goes to the armed task, or else waits in the backlog. */
    private void offerOrHandOver(Carrier s, int n, int id) {
        if (armed.state() == ArmedResult.ARMED && (backlog == null || backlog.size() == 0)) {
            armed.handOverResult(s, n, id);
            return;
        }
        if (backlog == null) {
            backlog = new ReceiveBacklog();
        }
        backlog.offer(n, id);
        if (backlog.size() >= BACKLOG_BOUND && request != null && !cancelling) {
            cancelling = true; // the rest wait in the socket until the backlog was taken
            ArmedReceive.cancel(s, request);
        }
    }

    /**
     * The receive's last completion, on its carrier: its result goes the way of the others, but for
     * one that carries nothing for the task (the runtime's own cancel of a full backlog, an ENOBUFS
     * nobody waits for); an armed task left with nothing to take runs and receives as usual.
     */
    @Override
    public void onCompletion(Descriptor d) {
        Carrier s = on;
        int n = d.result();
        int id = d.selectedBuffer();
        if (id >= 0) {
            s.receiveBuffers().picked();
        }
        d.pool().release(d);
        request = null;
        cancelling = false;
        boolean closed = handle.isClosed();
        boolean empty = backlog == null || backlog.size() == 0;
        boolean waiting = armed.state() == ArmedResult.ARMED;
        boolean nothing = (n == -Errno.ECANCELED && !closed) || (n == -Errno.ENOBUFS && (!waiting || !empty));
        if (nothing) {
            if (id >= 0) {
                s.receiveBuffers().give(id);
            }
        } else if (waiting && empty) {
            on = null; // before the result is published
            armed.handOverResult(s, n, id);
        } else {
            offerOrHandOver(s, n, id);
        }
        if (closed && backlog != null) {
            backlog.drain(s.receiveBuffers()::give);
        }
        if (on != null && (backlog == null || backlog.size() == 0)) {
            on = null;
            if (armed.state() == ArmedResult.ARMED) {
                armed.fallBack(s);
            }
        }
        endCall(closed);
    }

    /** Ends the RECV's call; after a close on a fibril, as the last call out closes the fd (a ring request, not a carrier's close). */
    private void endCall(boolean closed) {
        if (closed) {
            try {
                handle.group().start(handle::end);
                return;
            } catch (RuntimeException stopping) {
                // the runtime takes no more fibrils: the synchronous close, then
            }
        }
        handle.end();
    }

    /** The carrier gave up its ring: the RECV's buffers went with it, and an armed task learns it. */
    @Override
    public void onCarrierFailed(Descriptor d) {
        request = null; // d stays out of the pool: the kernel may still hold it
        backlog = null;
        on = null;
        handle.end();
        if (armed.state() == ArmedResult.ARMED) {
            armed.carrierFailed();
        }
    }

    /** The channel closed: what waits in the backlog goes back, on its carrier (the RECV's last completion does it if one stands). Any thread. */
    void onClose() {
        Carrier s = on;
        if (s != null) {
            s.submitCommand(() -> drainClosed(s));
        }
    }

    /** The channel closed and nothing stands on {@code s}: what waits in the backlog goes back. On {@code s}. */
    private void drainClosed(Carrier s) {
        if (request == null && on == s && backlog != null) {
            backlog.drain(s.receiveBuffers()::give);
            on = null;
            if (armed.state() == ArmedResult.ARMED) {
                armed.fallBack(s); // its task finds the channel closed
            }
        }
    }
}
