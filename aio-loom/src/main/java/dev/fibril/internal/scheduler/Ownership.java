/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.internal.jdk.VirtualThreadBridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Which thread may touch a carrier's ring, descriptor pool and local run queue: at every moment
 * exactly one, and this class says which. That invariant is what lets those structures go without
 * locks; the hand-off of a held carrier to a spare thread moves it, never breaks it.
 *
 * <p>One word, {@code epoch << 2 | phase}. Each thread that drives the carrier gets a new epoch
 * ({@link DriverThread#epoch}); the phase says what that thread is doing:
 * <pre>
 *  phase       thread is ...                          who may move it, and where
 *  LOOP        in the carrier's loop or a command      driver: -> FIBRIL (runs a fibril)
 *  FIBRIL      running a fibril's own code             driver: -> LOOP (fibril parked or ended, CAS)
 *                                                      driver: -> CALL (fibril enters the runtime, CAS)
 *                                                      monitor: -> (epoch+1, HANDED_OFF) (CAS)
 *  CALL        inside the runtime on a fibril's stack  driver: -> FIBRIL (section left)
 *              (a section: pinned, never parks)
 *  HANDED_OFF  nobody: a spare was given epoch+1       the spare: -> (epoch+1, LOOP)
 * </pre>
 * The monitor may only take a carrier whose thread runs a fibril's code, and only with a CAS from
 * the exact word it observed; a thread that runs the runtime's own code (LOOP, CALL) cannot lose
 * the carrier. So every edit of the carrier's state by a fibril is inside a section
 * ({@link #enter}/{@link #exit}): one uncontended CAS in, a plain release store out. A thread that
 * lost the carrier finds out by the failure of its next CAS: entering a section, or leaving a
 * fibril's run ({@link #endFibril}), after which it becomes a spare.
 *
 * <p>A fibril whose thread lost the carrier enters by moving: it yields, and resumes on the thread
 * that drives now. A fibril that cannot move (pinned: a class initializer, a native frame)
 * borrows the carrier instead: a {@link Loan} command makes the driver lend it its epoch for one
 * section and wait until it is given back.
 */
final class Ownership {
    static final int LOOP = 0;
    static final int FIBRIL = 1;
    static final int CALL = 2;
    static final int HANDED_OFF = 3;
    /** Yields tried before a fibril that cannot reach the carrier's thread borrows the carrier. */
    private static final int MOVES = 3;

    private static final VarHandle WORD;
    private static final VarHandle TICK;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            WORD = lookup.findVarHandle(Ownership.class, "word", long.class);
            TICK = lookup.findVarHandle(Ownership.class, "tick", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Carrier carrier;
    @SuppressWarnings("unused") // accessed through WORD
    private volatile long word = word(0, LOOP);
    /** Fibril runs started by the driver; the monitor reads it to tell a held thread from a busy one. */
    @SuppressWarnings("unused") // accessed through TICK
    private int tick;

    Ownership(Carrier carrier) {
        this.carrier = carrier;
    }

    static long word(long epoch, int phase) {
        return epoch << 2 | phase;
    }

    static int phase(long word) {
        return (int) (word & 3);
    }

    static long epoch(long word) {
        return word >>> 2;
    }

    // ---------------------------------------------------------------- the driving thread

    /** A thread given {@code epoch} (by the monitor, or at start) takes the carrier: HANDED_OFF -> LOOP. */
    void takeOver(long epoch) {
        WORD.setVolatile(this, word(epoch, LOOP));
    }

    /** LOOP -> FIBRIL: the driver runs a fibril. A plain release store: no one else moves LOOP. */
    void startFibril(long epoch) {
        nextRun();
        WORD.setRelease(this, word(epoch, FIBRIL));
    }

    /**
     * The driver: a new run starts, which the monitor tells from a held thread by this tick. A
     * fibril's start ({@link #startFibril}), and a spare fibril's next task taken without parking
     * between them ({@link Runners}, in a section), so a run of short tasks is not taken for one
     * fibril holding the thread.
     */
    void nextRun() {
        TICK.setOpaque(this, (int) TICK.getOpaque(this) + 1);
    }

    /** FIBRIL -> LOOP after a fibril's run; false if the carrier was handed off meanwhile. */
    boolean endFibril(long epoch) {
        if (WORD.compareAndSet(this, word(epoch, FIBRIL), word(epoch, LOOP))) {
            return true;
        }
        long w = (long) WORD.getVolatile(this);
        if (epoch(w) != epoch) {
            return false;
        }
        // still ours, but a section was left open: a runtime bug, not a hand-off; the loop goes on
        WORD.setVolatile(this, word(epoch, LOOP));
        System.getLogger("dev.fibril").log(System.Logger.Level.ERROR, "Fibril carrier " + carrier.index()
                + ": a fibril's run ended inside a section", new IllegalStateException("unbalanced section"));
        return true;
    }

    // ---------------------------------------------------------------- sections (a fibril's stack)

    /**
     * Enters a section: from here to {@link #exit} the current thread owns the carrier and the
     * current fibril is pinned to it. Nests. A fibril whose thread lost the carrier moves to the
     * thread that drives it, or borrows it when it cannot move.
     *
     * @throws RuntimeClosedException if the carrier terminated while a pinned fibril waited to borrow it
     */
    void enter() throws RuntimeClosedException {
        DriverThread dt = DriverThread.current();
        if (dt != null && dt.carrier == carrier && (dt.depth > 0 || tryEnter(dt))) {
            dt.depth++;
            return;
        }
        enterElsewhere(dt);
    }

    private boolean tryEnter(DriverThread dt) {
        long epoch = dt.epoch;
        if (!WORD.compareAndSet(this, word(epoch, FIBRIL), word(epoch, CALL))) {
            return false;
        }
        dt.pinned = VirtualThreadBridge.pinCurrent();
        return true;
    }

    /** Leaves the outermost section to park or yield: parking inside a nested one would hold the carrier. */
    void exitToPark() {
        if (DriverThread.current().depth != 1) {
            throw new IllegalStateException("Fibril carrier " + carrier.index() + ": a fibril parked inside a nested section");
        }
        exit();
    }

    /**
     * Enters again the section that the current fibril left to park or yield (its callers still
     * hold it by their count). If the carrier terminated meanwhile, the fibril keeps the count of a
     * section of a carrier nobody drives any more (so its callers' {@link #exit} still balance),
     * and the exception says why.
     */
    void reenter() throws RuntimeClosedException {
        try {
            enter();
        } catch (RuntimeClosedException e) {
            DriverThread.current().depth = 1;
            throw e;
        }
    }

    /** Leaves the section {@link #enter} entered (the outermost one gives the carrier back to the fibril's code). */
    void exit() {
        DriverThread dt = DriverThread.current();
        if (--dt.depth > 0) {
            return;
        }
        boolean pinned = dt.pinned;
        dt.pinned = false;
        Loan loan = dt.loan;
        if (loan != null) {
            loan.giveBack(dt);
        } else {
            WORD.setRelease(this, word(dt.epoch, FIBRIL));
        }
        VirtualThreadBridge.unpinCurrent(pinned);
    }

    /** True when the current thread may touch the carrier now: inside the loop, a command or a section. */
    boolean heldByCurrentThread() {
        DriverThread dt = DriverThread.current();
        return dt != null && dt.carrier == carrier && dt.depth > 0;
    }

    /**
     * {@link Carrier#execute}'s fast path on thread {@code dt}: true if it owns the carrier now,
     * entering a section when a fibril's code runs (no pin: nothing between here and
     * {@link #exitWakeup} can unmount the fibril); false if it does not own it.
     */
    boolean tryEnterForWakeup(DriverThread dt) {
        if (dt.depth > 0) {
            dt.depth++;
            return true;
        }
        if (WORD.compareAndSet(this, word(dt.epoch, FIBRIL), word(dt.epoch, CALL))) {
            dt.depth = 1; // no pin: nothing between here and exit can unmount the fibril
            return true;
        }
        return false;
    }

    /** Leaves what {@link #tryEnterForWakeup} entered. */
    void exitWakeup(DriverThread dt) {
        if (--dt.depth == 0) {
            WORD.setRelease(this, word(dt.epoch, FIBRIL));
        }
    }

    private void enterElsewhere(DriverThread dt) throws RuntimeClosedException {
        Thread before = dt;
        for (int i = 0; i < MOVES; i++) {
            Thread.yield(); // an unpinned fibril resumes wherever the carrier is driven now
            dt = DriverThread.current();
            if (dt != null && dt.carrier == carrier && (dt.depth > 0 || tryEnter(dt))) {
                dt.depth++;
                return;
            }
            if (dt == before) {
                break; // did not move: pinned
            }
            before = dt;
        }
        if (dt == null) {
            throw new IllegalStateException("not a fibril of Fibril carrier " + carrier.index());
        }
        Loan loan = new Loan(Thread.currentThread(), dt);
        carrier.submitCommand(loan);
        loan.awaitGranted();
        dt.pinned = VirtualThreadBridge.pinCurrent();
        dt.depth = 1;
    }

    /** The current word (the monitor's view). */
    long word() {
        return (long) WORD.getVolatile(this);
    }

    int tick() {
        return (int) TICK.getOpaque(this);
    }

    /** The monitor's move: the observed FIBRIL word to (epoch+1, HANDED_OFF); false if anything changed. */
    boolean tryHandOff(long observed) {
        return phase(observed) == FIBRIL
                && WORD.compareAndSet(this, observed, word(epoch(observed) + 1, HANDED_OFF));
    }

    /**
     * The carrier lent for one section to a pinned fibril whose thread lost it. Runs as a command
     * on the driving thread (phase LOOP, so nothing else runs meanwhile): it gives the borrower's
     * thread its epoch with the word at CALL, and waits until {@link #giveBack} returns the word
     * to LOOP. A section never parks, so the wait is as short as the section.
     */
    final class Loan implements CarrierCommand {
        private final Thread fibril;
        private final DriverThread borrower;
        private long borrowerEpoch;
        private Carrier borrowerCarrier;
        private volatile boolean granted;
        private volatile boolean refused;
        private volatile boolean returned;
        private volatile Thread lender;

        Loan(Thread fibril, DriverThread borrower) {
            this.fibril = fibril;
            this.borrower = borrower;
        }

        @Override
        public void run() {
            DriverThread me = DriverThread.current();
            long epoch = me.epoch;
            lender = me;
            borrowerEpoch = borrower.epoch;
            borrowerCarrier = borrower.carrier;
            borrower.epoch = epoch;
            borrower.carrier = carrier;
            borrower.loan = this;
            WORD.setVolatile(Ownership.this, word(epoch, CALL));
            granted = true;
            LockSupport.unpark(fibril);
            while (!returned) {
                LockSupport.park(this);
            }
        }

        @Override
        public void abandon() {
            refused = true;
            LockSupport.unpark(fibril);
        }

        void awaitGranted() throws RuntimeClosedException {
            boolean interrupted = Thread.interrupted(); // a park would not wait while it is set
            try {
                while (!granted) {
                    if (refused) {
                        throw new RuntimeClosedException("Fibril runtime is closed: carrier " + carrier.index() + " terminated");
                    }
                    LockSupport.park(this);
                    interrupted |= Thread.interrupted();
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Borrower: the section is over; the lender's word goes back to LOOP and it resumes. */
        void giveBack(DriverThread dt) {
            long epoch = dt.epoch;
            dt.loan = null;
            dt.epoch = borrowerEpoch;
            dt.carrier = borrowerCarrier;
            WORD.setVolatile(Ownership.this, word(epoch, LOOP));
            returned = true;
            LockSupport.unpark(lender);
        }
    }
}
