/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.io.CompletionListener;
import dev.fibril.internal.io.Descriptor;
import dev.fibril.internal.io.ReceiveBuffers;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.IoCall;

import java.io.IOException;
import java.util.Objects;

/**
 * A socket channel's {@code receiveLater}: a receive in the ring with no fibril parked on it. On
 * io_uring with provided buffers it is the RECV itself (the kernel picks the buffer when bytes
 * arrive); elsewhere a POLL_ADD for readability, after which the receive takes a buffer and reads.
 * Its completion keeps the result for the channel's next {@code receive()} and hands the caller's
 * task to one of the carrier's spare fibrils ({@link dev.fibril.internal.scheduler.Runners}).
 *
 * Its states are {@link ArmedResult}'s: armed (the task waits for a result, and the armed call
 * counts as a call of the channel), done (a completion, on the carrier's thread, kept the result
 * and handed the task to a runner), taken by the next receive or reclaimed by the channel's close,
 * which gives a picked buffer back. The call ends once the task returned, so the fd stays open
 * until the result was taken.
 *
 * <p>Where the ring takes multishot receives the RECV may stand in the ring across arms; that
 * half is {@link StandingReceive}'s, which hands its results over through this one.
 */
final class ArmedReceive extends ArmedResult implements CompletionListener, Runnable {
    /** {@link #result()} when the carrier gave up its ring with the receive armed. */
    static final int CARRIER_FAILED = Integer.MIN_VALUE;

    private final FdHandle handle;
    /** The standing half, where the backend takes multishot receives; else null. */
    private final StandingReceive standing;
    /** The caller's task; written by arm before the submission, taken by the runner. */
    private Runnable then;
    /** The carrier of the armed request, whose buffer the kernel picks. */
    private Carrier carrier;
    /** Whether the request was the RECV itself (else a POLL_ADD). */
    private boolean recv;
    /** The armed request, while it is in the ring; a completion of any other is not this receive's. Its carrier's. */
    private Descriptor armedOn;
    /** The completion's result and picked buffer (-1: none); written before DONE. */
    private int result;
    private int bufferId = -1;

    ArmedReceive(FdHandle handle) {
        this.handle = handle;
        this.standing = handle.group().backend().receivesMultishot() ? new StandingReceive(this, handle) : null;
    }

    /** Whether a standing receive is in the ring or its results wait: receives go through it until neither. */
    boolean stands() {
        return standing != null && standing.carrier() != null;
    }

    /** Whether a receive is armed, or its result waits to be taken. */
    boolean engaged() {
        return state() != NONE;
    }

    /**
     * Arms the receive from a fibril on its carrier ({@code onFibril}), or starts {@code then} on a
     * new fibril at once where nothing can be armed: off a fibril, or with no readiness wait. Between
     * the channel's {@code begin} and {@code end}.
     */
    void armThen(Runnable then, boolean onFibril) throws IOException {
        armThen(then, onFibril, false);
    }

    /**
     * As {@link #armThen(Runnable, boolean)}; with {@code retire}, a standing receive is cancelled
     * too (a receive that waits as usual comes next), so the task waits at most for the cancel.
     */
    void armThen(Runnable then, boolean onFibril, boolean retire) throws IOException {
        Objects.requireNonNull(then, "then");
        if (state() != NONE) { // only this receiver moves it from NONE
            throw new IllegalStateException("receiveLater(): the receive armed before "
                    + (state() == ARMED ? "is still waiting" : "was not taken by receive()"));
        }
        Carrier s = standing == null ? null : standing.carrier();
        if (s != null) {
            handle.begin(); // the armed call, until the task returned
            this.then = then; // before ARMED is published: the standing receive's completion may hand it over at once
            standing.retireOnArm(retire);
            if (!arm()) {
                handle.end();
                throw new IllegalStateException("receiveLater(): another receive armed meanwhile (one receiver at a time)");
            }
            standing.take(s, onFibril);
            return;
        }
        if (retire) {
            then.run(); // nothing stands any more (it ended meanwhile): the caller receives as usual, with its timeout
            return;
        }
        arm();
        boolean armed = false;
        try {
            armed = onFibril && submit(then);
        } finally {
            if (!armed) {
                this.then = null;
                disarm();
            }
        }
        if (!armed) {
            handle.group().start(then); // its receive waits as a plain one
        }
    }

    /**
     * On {@code s}, armed, with nothing standing to take from: the task runs now, and its receive
     * receives as usual (the next arm stands again).
     */
    void fallBack(Carrier s) {
        disarm();
        handOver(s, false);
    }

    /** The armed task will not run (the runtime is closing): unarmed again, its call ended. */
    void withdraw() {
        disarm();
        dropTask();
    }

    /** The task will not run; the armed call ends. A {@link Waiter} is woken all the same: its caller must not wait on. */
    private void dropTask() {
        Runnable t = then;
        then = null;
        handle.end();
        if (t instanceof Waiter w) {
            w.run();
        }
    }

    /**
     * A task that only wakes a receive waiting in its own call (a {@code receive()} or {@code read()}
     * while a receive stands). Its caller waits for {@link #fired}, which comes after the runner took
     * it, so the caller may arm again at once. Made once per channel.
     */
    static final class Waiter implements Runnable {
        private volatile Thread waiting;
        private volatile boolean fired;

        void reset(Thread t) {
            fired = false;
            waiting = t;
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void run() {
            Thread t = waiting;
            fired = true;
            java.util.concurrent.locks.LockSupport.unpark(t);
        }
    }

    /** Submits the RECV (or the readiness wait); false, with nothing submitted, where the backend has neither. */
    private boolean submit(Runnable then) throws IOException {
        handle.begin(); // the armed request is a call of the channel until the task returned
        boolean submitted = false;
        boolean multishot = false;
        try {
            IoCall call = IoCall.begin(handle.group(), handle.fd());
            try {
                Descriptor d = (Descriptor) call.request();
                Carrier c = call.carrier();
                ReceiveBuffers pool = c.receiveBuffers();
                boolean picks = pool.kernelPicks();
                if (!picks && !handle.group().backend().supports(Op.POLL_ADD)) {
                    return false;
                }
                this.then = then;
                this.carrier = c;
                this.recv = picks;
                // a receive that stands keeps taking buffers: only while a quarter of them are free
                multishot = picks && standing != null && pool.plentiful();
                if (picks) {
                    d.prepare(Op.RECV, handle.fd(), null, 0, pool.size(), 0);
                    d.flags(IoRequest.FLAG_BUFFER_SELECT);
                    // The reader took all there was: a single-shot receive waits for readiness first.
                    // Not a multishot one: the flag holds for its every re-arm, not the first only,
                    // and with it a reset that came after a burst was seen to end in no completion at
                    // all (the task never ran; StandingReceiveTest's reset case).
                    d.opFlags(multishot ? IoRequest.RECV_MULTISHOT : IoRequest.RECV_POLL_FIRST);
                } else {
                    d.prepare(Op.POLL_ADD, handle.fd(), null, 0, 0, 0);
                    d.opFlags(IoRequest.POLLIN);
                }
                d.notifies(multishot ? standing : this);
                d.channel(handle);
                if (multishot) {
                    standing.started(c, d);
                } else {
                    armedOn = d;
                }
                c.io().submit(d);
                submitted = true;
                if (handle.isClosed()) {
                    cancel(c, d); // a close that came before this submission found nothing to cancel
                }
                return true;
            } finally {
                call.end(); // a SUBMITTED descriptor stays out of the pool until its completion
            }
        } finally {
            if (!submitted) {
                armedOn = null;
                if (multishot) {
                    standing.notStarted(); // nothing stands: the submission failed
                }
                handle.end();
            }
        }
    }

    /** Cancels {@code d}, best effort: it is in the ring, so the receive stays armed whatever happens here. */
    static void cancel(Carrier c, Descriptor d) {
        try {
            c.io().cancel(d);
        } catch (RuntimeException e) {
            // the ring refused the cancel: the request still ends with the socket's close or its data
        }
    }

    /**
     * On {@code s}: the armed task gets {@code n} and buffer {@code id}, and runs on a spare of
     * {@code s}. ({@link #recv} is as the arm that submitted the request set it.)
     */
    void handOverResult(Carrier s, int n, int id) {
        carrier = s;
        result = n;
        bufferId = id;
        if (complete(handle) && id >= 0) {
            s.receiveBuffers().give(id); // the close looked before DONE: it found nothing to give back
        }
        handOver(s, false);
    }

    /** The completion of a single-shot request, on its carrier. */
    @Override
    public void onCompletion(Descriptor d) {
        Carrier c = carrier; // read before DONE is published: a receive may then arm again
        boolean picks = recv;
        int n = d.result();
        int id = picks ? d.selectedBuffer() : -1;
        if (id >= 0) {
            c.receiveBuffers().picked();
        }
        d.pool().release(d);
        if (d != armedOn || state() != ARMED) {
            // a completion after onCarrierFailed already ended this receive: nobody takes its result
            if (id >= 0) {
                c.receiveBuffers().give(id);
            }
            return;
        }
        armedOn = null;
        handOverResult(c, n, id);
    }

    @Override
    public void onCarrierFailed(Descriptor d) {
        if (d == armedOn && state() == ARMED) {
            armedOn = null; // d stays out of the pool: the kernel may still hold it
            carrierFailed();
        }
    }

    /** Armed, when the carrier gave up its ring: the task runs on a new fibril, and its receive learns it. */
    void carrierFailed() {
        result = CARRIER_FAILED;
        bufferId = -1;
        complete(handle);
        handOver(null, true);
    }

    /**
     * Hands the task to a spare of {@code c}, or (the carrier failed) to a new fibril; if that
     * throws (the runtime is closing), the task is dropped and the armed call ends.
     */
    private void handOver(Carrier c, boolean onNewFibril) {
        try {
            if (onNewFibril) {
                handle.group().start(this);
            } else {
                c.runners().run(this);
            }
        } catch (RuntimeException | Error e) {
            dropTask(); // the result waits for a receive or the channel's close
            if (!(e instanceof java.util.concurrent.RejectedExecutionException)) {
                throw e;
            }
        }
    }

    /** The runner's task: the caller's, then the armed call ends. */
    @Override
    public void run() {
        Runnable t = then;
        then = null; // before it runs: it may arm again
        try {
            t.run();
        } finally {
            handle.end();
        }
    }

    /**
     * For the channel's receive: true if an armed receive's result waits to be taken, which the
     * caller then reads through {@link #result()}, {@link #bufferId()}, {@link #carrier()}.
     *
     * @throws IllegalStateException if the armed receive is still in the ring
     */
    boolean takeResult() {
        if (state() == ARMED) {
            throw new IllegalStateException("receive(): a receiveLater is still waiting; its task receives");
        }
        return take();
    }

    int result() {
        return result;
    }

    /** The buffer the kernel picked, or -1 (none picked, or the request was a readiness wait). */
    int bufferId() {
        return bufferId;
    }

    boolean wasRecv() {
        return recv;
    }

    Carrier carrier() {
        return carrier;
    }

    /**
     * The channel closed: a picked buffer whose result nobody took goes back to its carrier, and so
     * do those of the backlog (on its carrier: the close's cancel ends a standing receive, whose last
     * completion gives them back; else a command does). Any thread.
     */
    void onClose() {
        if (reclaim() && bufferId >= 0) {
            carrier.returnReceiveBuffer(bufferId);
        }
        if (standing != null) {
            standing.onClose();
        }
    }
}
