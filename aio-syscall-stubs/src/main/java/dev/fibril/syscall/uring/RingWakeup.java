/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.syscall.linux.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * How other threads reach a ring: the wake-up of a blocked wait, and the gate that keeps their
 * calls (a wake-up's eventfd write, a cross-thread cancel) off a ring that is closing.
 *
 * <p>The ring keeps one READ of an eventfd in the kernel, with the reserved user_data
 * {@link #USER_DATA}; its CQE is consumed by the reaper and never reaches a sink. {@link #wakeup()}
 * sets a flag and, if it was clear, writes the eventfd, which completes that READ and so ends a
 * blocked io_uring_enter. The owner clears the flag when a wait starts ({@link #takePending()}:
 * a wake-up before the wait makes it return at once) and when it returns ({@link #answered()}).
 * The READ is re-armed by the owner before the next blocking wait, or rides on a flush.
 *
 * <p>Threads: {@link #wakeup()}, {@link #enterForeign()} and {@link #exitForeign()} any thread;
 * the rest the owner. {@link #armed} is the owner's plain field.
 */
final class RingWakeup {
    /** user_data of the eventfd READ. Slot user_data is never negative. */
    static final long USER_DATA = -1L;

    private static final VarHandle PENDING;
    private static final VarHandle FOREIGN_CALLERS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PENDING = lookup.findVarHandle(RingWakeup.class, "pending", boolean.class);
            FOREIGN_CALLERS = lookup.findVarHandle(RingWakeup.class, "foreignCallers", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int eventFd;
    /** Where the eventfd READ puts the counter; nobody looks at it. */
    private final MemorySegment value;
    /** The eventfd READ is in the SQ or the kernel. */
    boolean armed;
    private volatile boolean closed;
    @SuppressWarnings("unused") // through PENDING
    private volatile boolean pending;
    @SuppressWarnings("unused") // through FOREIGN_CALLERS
    private volatile int foreignCallers;

    RingWakeup(int eventFd, Arena arena) {
        this.eventFd = eventFd;
        this.value = arena.allocate(Long.BYTES, Long.BYTES);
    }

    /** The wake-up protocol alone, without an eventfd: for the interleaving check of its flags. */
    RingWakeup() {
        this.eventFd = -1;
        this.value = null;
    }

    /** Any thread: true if this caller must write the eventfd (no wake-up is pending since the owner's last wait). */
    boolean signal() {
        return !(boolean) PENDING.getAndSet(this, true);
    }

    /** Owner: whether the eventfd READ is in the SQ or the kernel. */
    boolean armed() {
        return armed;
    }

    /** Owner: the READ was claimed in the SQ. */
    void onArmed() {
        armed = true;
    }

    /** Writes the eventfd READ into the SQ (the caller checked there is room and no open chain). */
    void arm(SubmissionQueue sq) {
        sq.claim(IoUringConstants.IORING_OP_READ, eventFd, USER_DATA).addr(value.address()).len(Long.BYTES);
        onArmed();
    }

    /** The READ completed: re-arm before the next blocking wait. */
    void onCompletion() {
        armed = false;
    }

    /** Makes the owner's current or next wait return. Any thread; never blocks. */
    void wakeup() {
        if (!signal()) {
            return; // signalled already, and the owner has not returned from a wait since
        }
        if (enterForeign()) {
            try {
                Libc.eventfdWrite(eventFd, 1L);
            } finally {
                exitForeign();
            }
        }
    }

    /** True (and clears it) when a wake-up came since the last wait returned. */
    boolean takePending() {
        return (boolean) PENDING.getAndSet(this, false);
    }

    /** A wait returned: it answers every wake-up until now. */
    void answered() {
        PENDING.setVolatile(this, false);
    }

    /**
     * Starts a foreign thread's call on the ring's fds; false (and nothing to exit) once the ring
     * is closing. Closed is checked inside the section: {@link #closeGate()} waits for it to empty
     * before the fds are closed, so their numbers cannot be reused under the call.
     */
    boolean enterForeign() {
        FOREIGN_CALLERS.getAndAdd(this, 1);
        if (closed) {
            FOREIGN_CALLERS.getAndAdd(this, -1);
            return false;
        }
        return true;
    }

    void exitForeign() {
        FOREIGN_CALLERS.getAndAdd(this, -1);
    }

    boolean isClosed() {
        return closed;
    }

    /** Owner: no foreign call starts after this returns, and none is still running. */
    void closeGate() {
        closed = true;
        while ((int) FOREIGN_CALLERS.getVolatile(this) != 0) {
            Thread.onSpinWait(); // a waker's eventfd write or a cross-thread cancel; both are short
        }
    }
}
