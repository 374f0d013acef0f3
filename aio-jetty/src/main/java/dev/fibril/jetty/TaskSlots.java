/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The running-task slots of a {@link FibrilThreadPool}: a count taken by CAS below a limit, and
 * the condition that a stop and {@code join} wait on until the count drops to zero. Any thread.
 */
final class TaskSlots {
    private final AtomicInteger running = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition drained = lock.newCondition();

    /** Tasks running now. */
    int running() {
        return running.get();
    }

    /** Takes a slot if fewer than {@code limit} are taken. */
    boolean tryTake(int limit) {
        for (int n = running.get(); n < limit; n = running.get()) {
            if (running.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Gives a slot back; wakes the waiters when none is left taken, or always while {@code stopping}. */
    void give(boolean stopping) {
        if (running.decrementAndGet() == 0 || stopping) {
            wakeWaiters();
        }
    }

    void wakeWaiters() {
        lock.lock();
        try {
            drained.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code nanos} for every slot to be given back; false if some are still taken then. */
    boolean awaitIdle(long nanos) throws InterruptedException {
        lock.lock();
        try {
            while (running.get() > 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = drained.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@code stopped} says so and every slot was given back. */
    void awaitStoppedAndIdle(java.util.function.BooleanSupplier stopped) throws InterruptedException {
        lock.lock();
        try {
            while (!stopped.getAsBoolean() || running.get() > 0) {
                drained.await();
            }
        } finally {
            lock.unlock();
        }
    }
}
