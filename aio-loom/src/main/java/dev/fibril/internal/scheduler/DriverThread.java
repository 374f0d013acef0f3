/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.internal.jdk.VirtualThreadBridge;

/**
 * A platform thread that drives carriers: it runs one carrier's loop (and so the continuations of
 * its fibrils) until the carrier terminates, or until the carrier is handed off because a fibril
 * held this thread; it then becomes a spare of {@link Handoffs} and may drive another carrier, or
 * retire when idle.
 *
 * <p>Fields other than {@link #assigned} are this thread's own: written and read on it (the
 * fibrils it runs read them too, on the same thread), except that a {@link Ownership.Loan}'s
 * lender writes them while this thread waits for the loan.
 */
final class DriverThread extends Thread {
    private final Handoffs handoffs;
    /** The carrier this thread drives (or drove, until it notices it lost it); null when spare. */
    Carrier carrier;
    /** This thread's epoch on {@link #carrier} (see {@link Ownership}). */
    long epoch;
    /** Sections held: 1 in the loop and its commands, 0 while a fibril's code runs, more inside sections. */
    int depth;
    /** Whether the outermost section pinned the fibril that entered it. */
    boolean pinned;
    /** The loan this thread holds a carrier by, or null. */
    Ownership.Loan loan;
    /** The next carrier and epoch to drive, handed over by the monitor; volatile through {@link Handoffs}. */
    volatile Carrier assigned;
    volatile long assignedEpoch;
    /** What the kernel says of this thread, read by the monitor; null where it cannot tell. */
    volatile ThreadSchedule schedule;

    DriverThread(Handoffs handoffs, String name) {
        super(null, null, name, 0, false);
        this.handoffs = handoffs;
        setDaemon(true);
    }

    /** The platform thread the current code runs on, when it is a driver thread; else null. */
    static DriverThread current() {
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            t = VirtualThreadBridge.carrierOf(t);
        }
        return t instanceof DriverThread dt ? dt : null;
    }

    @Override
    public void run() {
        schedule = ThreadSchedule.ofCurrentThread();
        try {
            Carrier next = assigned;
            long nextEpoch = assignedEpoch;
            while (next != null) {
                assigned = null;
                carrier = next;
                epoch = nextEpoch;
                depth = 1;
                boolean lost = next.drive(this, nextEpoch);
                carrier = null;
                depth = 0;
                if (!lost) {
                    return; // the carrier terminated: so does its thread
                }
                next = handoffs.awaitAssignment(this);
                nextEpoch = assignedEpoch;
            }
        } finally {
            handoffs.exited(this);
        }
    }
}
