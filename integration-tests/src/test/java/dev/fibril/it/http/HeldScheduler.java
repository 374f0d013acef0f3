/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Jetty {@link Scheduler} with no thread, for a run in virtual time: it holds what it is given
 * and runs none of it. A test whose every timeout lies beyond the run (idle timeouts of minutes,
 * in real time, for a run of seconds) loses nothing, and gains determinism: Jetty's own scheduler
 * thread wakes whenever a task with an earlier deadline comes, and a fibril that meets it on the
 * scheduler's queue lock is woken again by that thread, at a moment of real time, which reorders
 * the carrier's run queue and so the simulated kernel's fault stream. A task due within
 * {@link #HORIZON} (which a held scheduler would starve) is refused.
 */
final class HeldScheduler extends AbstractLifeCycle implements Scheduler {
    static final long HORIZON = TimeUnit.MINUTES.toNanos(1);
    private final AtomicLong held = new AtomicLong();

    @Override
    public Task schedule(Runnable task, long delay, TimeUnit units) {
        if (units.toNanos(delay) < HORIZON) {
            throw new UnsupportedOperationException("a held scheduler runs nothing, and this task is due in "
                    + units.toMillis(delay) + " ms: " + task);
        }
        held.incrementAndGet();
        return () -> true;
    }

    /** Tasks held so far (never run). */
    long held() {
        return held.get();
    }
}
