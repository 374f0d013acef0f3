/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Keeps interrupts away from NIO {@link java.nio.channels.FileChannel} calls, which are
 * interruptible: a call made while its thread's interrupt status is set, or a
 * {@link Thread#interrupt()} that lands while the call runs, closes the channel, here the fd's
 * channel for every user, while the fd stays open. File calls run on whichever thread flushes the
 * ring, often a fibril flushing other fibrils' requests on other files too; an interrupt is the
 * runtime's business (it cancels that fibril's own request, as on io_uring), never an fd's.
 *
 * <p>Two guards, used together by {@link NioCalls#file} and the backend's file calls:
 * <ul>
 * <li>the caller's interrupt status is cleared for the call and set again after it
 *     ({@link #suspendInterrupt}, {@link #restoreInterrupt});
 * <li>the call holds the monitor that {@code Thread.interrupt()} takes before it closes the
 *     target's interruptible channel ({@code Thread.interruptLock}, {@link #lockOf}), so an
 *     interrupt from another thread waits until the call is over and then only sets the status.
 *     The wait is one file system call at most. This reaches a {@code java.lang} field and needs
 *     {@code --add-opens java.base/java.lang=ALL-UNNAMED} (which the runtime's scheduler needs
 *     too); without it {@link #lockOf} is null and only the first guard holds, so an interrupt
 *     that lands during the system call itself can still close the channel.
 * </ul>
 * A caller holding the monitor must not park (the ring's callers are pinned for every ring call).
 */
final class InterruptShield {
    /** {@code Thread.interruptLock}; null when java.lang is not open to this module. */
    private static final VarHandle INTERRUPT_LOCK = interruptLockHandle();

    private InterruptShield() {
    }

    /** The monitor that interrupts of {@code thread} take, or null when it cannot be reached. */
    static Object lockOf(Thread thread) {
        return INTERRUPT_LOCK == null ? null : INTERRUPT_LOCK.get(thread);
    }

    /** Whether the interrupt monitor can be held (java.lang is open to this module). */
    static boolean holdsOffConcurrentInterrupts() {
        return INTERRUPT_LOCK != null;
    }

    /** Clears the current thread's interrupt status; hand the result to {@link #restoreInterrupt}. */
    static boolean suspendInterrupt() {
        return Thread.interrupted();
    }

    /** Sets the interrupt status again if {@link #suspendInterrupt} cleared it. */
    static void restoreInterrupt(boolean wasInterrupted) {
        if (wasInterrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static VarHandle interruptLockHandle() {
        try {
            return MethodHandles.privateLookupIn(Thread.class, MethodHandles.lookup())
                    .findVarHandle(Thread.class, "interruptLock", Object.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // java.lang not open here: the status guard alone
        }
    }
}
