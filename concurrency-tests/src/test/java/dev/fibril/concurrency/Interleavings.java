/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.concurrency;

import org.jetbrains.lincheck.Lincheck;
import org.jetbrains.lincheck.LincheckAssertionError;

import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a scenario under Lincheck's model checker, which replays it many times, each time with
 * another interleaving of its threads, and fails with the first interleaving that ends in an
 * exception, a failed assertion or a hang (printed as a trace).
 *
 * <p>Quick by default ({@value #QUICK_INVOCATIONS} interleavings per check, what {@code ./fibril
 * test} runs); {@code -Dfibril.interleavings=N} explores N per check (see README, "Tests").
 *
 * <p>Lincheck inserts switch points only at accesses to objects it sees shared. An object handed
 * to a thread only through the thread's constructor looks local to it (the constructor is JDK
 * code, which it does not follow), and then no interleaving is ever tried: a broken counter
 * passes. {@link #inParallel} therefore publishes the scenario's state through a static field
 * before it starts the threads.
 */
public final class Interleavings {
    public static final int QUICK_INVOCATIONS = 400;
    public static final int INVOCATIONS = Integer.getInteger("fibril.interleavings", QUICK_INVOCATIONS);

    /** The state of the scenario now running; read by its threads (see the class comment). */
    private static volatile Object shared;

    private Interleavings() {
    }

    /** Explores {@link #INVOCATIONS} interleavings of {@code scenario}; throws Lincheck's error on the first bad one. */
    public static void check(Runnable scenario) {
        Lincheck.runConcurrentTest(INVOCATIONS, scenario);
    }

    /**
     * Explores {@code scenario}, which must be a broken twin, and returns Lincheck's report of the
     * interleaving that produced {@code forbidden} (the label the scenario's own assertion uses).
     * Fails if no explored interleaving produced it.
     */
    public static String expectForbidden(String forbidden, Runnable scenario) {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class, () -> check(scenario),
                "the checker explored " + INVOCATIONS + " interleavings of a broken twin and found no " + forbidden);
        String report = e.getMessage();
        assertTrue(report.contains(forbidden), () -> "the checker failed the broken twin, but not with "
                + forbidden + ":\n" + report);
        return report;
    }

    /** Runs each role on a thread of its own with {@code state}, and returns once all have ended. */
    @SafeVarargs
    public static <T> void inParallel(T state, Consumer<T>... roles) {
        shared = state;
        Thread[] threads = new Thread[roles.length];
        for (int i = 0; i < roles.length; i++) {
            Consumer<T> role = roles[i];
            threads[i] = new Thread(() -> role.accept(sharedState()));
        }
        for (Thread t : threads) {
            t.start();
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while the scenario ran", e);
        } finally {
            shared = null;
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T sharedState() {
        return (T) shared;
    }
}
