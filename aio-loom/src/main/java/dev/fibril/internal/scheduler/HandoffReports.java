/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.internal.jdk.VirtualThreadBridge;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What a user sees of hand-offs: a {@link CarrierHandoffEvent} for each, one WARNING per distinct
 * blocking call site (so the log names the code that blocks, once), and one when the spare bound
 * was reached. The monitor calls it, after the carrier already went on.
 */
final class HandoffReports {
    private static final System.Logger LOG = System.getLogger("dev.fibril");
    /** Distinct call sites remembered; past it, new sites are still counted and recorded, not logged. */
    private static final int MAX_SITES = 1024;
    private static final int LOGGED_FRAMES = 12;

    private final Set<String> loggedSites = ConcurrentHashMap.newKeySet();
    private volatile boolean boundLogged;

    /** Reports that {@code c} was taken from {@code held}, which had run one fibril for {@code heldNanos}. */
    void handedOff(Carrier c, Thread held, long heldNanos, Iterable<Thread> fibrils) {
        Thread fibril = mountedOn(held, fibrils);
        StackTraceElement[] stack = fibril == null ? new StackTraceElement[0] : fibril.getStackTrace();
        CarrierHandoffEvent event = new CarrierHandoffEvent();
        if (event.isEnabled()) {
            event.carrier = c.index();
            event.held = heldNanos;
            event.fibril = fibril == null ? "" : fibril.getName();
            event.blockingStack = format(stack, stack.length);
            event.commit();
        }
        if (fibril == null || stack.length == 0) {
            return; // it parked or ended meanwhile: there is no call site to name
        }
        String site = callSite(stack);
        if (loggedSites.size() < MAX_SITES && loggedSites.add(site)) {
            LOG.log(System.Logger.Level.WARNING, "Fibril carrier " + c.index() + " was handed to another thread: "
                    + "fibril '" + fibril.getName() + "' held its thread for " + TimeUnit.NANOSECONDS.toMillis(heldNanos)
                    + " ms at " + site + ", in " + stack[0] + " (a CPU loop, a blocking java.io, DNS or native call, "
                    + "or a park while pinned holds every fibril of its carrier until the hand-off; logged once per "
                    + "call site)\n" + format(stack, LOGGED_FRAMES));
        }
    }

    /**
     * Reports that {@code c}'s thread {@code held} has been inside one runtime call for
     * {@code heldNanos} while work waits: the monitor cannot hand off a carrier there. Logged once
     * per place it waits.
     */
    void stuckInSection(Carrier c, Thread held, long heldNanos, Iterable<Thread> fibrils) {
        Thread fibril = mountedOn(held, fibrils);
        StackTraceElement[] stack = fibril != null ? fibril.getStackTrace() : held != null ? held.getStackTrace()
                : new StackTraceElement[0];
        String where = stack.length == 0 ? "(unknown)" : stack[0] + ", called from " + firstOutsideTheJdk(stack);
        if (loggedSites.size() < MAX_SITES && loggedSites.add("section " + where)) {
            LOG.log(System.Logger.Level.ERROR, "Fibril carrier " + c.index() + " has been inside one runtime call for "
                    + TimeUnit.NANOSECONDS.toMillis(heldNanos) + " ms while other work waits for it, waiting in " + where
                    + " (" + (fibril == null ? "no fibril" : "fibril '" + fibril.getName() + "'") + "): a carrier "
                    + "cannot be handed off inside a runtime call, so its fibrils wait with it; logged once per place\n"
                    + format(stack, 2 * LOGGED_FRAMES));
        }
    }

    void boundReached(Carrier c, int maxSpares) {
        if (!boundLogged) {
            boundLogged = true;
            LOG.log(System.Logger.Level.WARNING, "Fibril carrier " + c.index() + " is held by a fibril and all "
                    + maxSpares + " spare threads are in use (maxSpareThreads): it waits for its thread. "
                    + "Counted in RuntimeStats.handoffsRefused; logged once");
        }
    }

    /** The fibril that runs on {@code thread} now, or null (it ended or parked meanwhile). */
    private static Thread mountedOn(Thread thread, Iterable<Thread> fibrils) {
        for (Thread f : fibrils) {
            if (VirtualThreadBridge.carrierOf(f) == thread) {
                return f;
            }
        }
        return null;
    }

    /** The first frame of the caller's code: not the JDK's and not Fibril's own (its public entry points included). */
    static String callSite(StackTraceElement[] stack) {
        for (StackTraceElement e : stack) {
            String cls = e.getClassName();
            if (!isJdk(cls) && !cls.startsWith("dev.fibril.internal.") && !cls.startsWith("dev.fibril.syscall.")
                    && !cls.startsWith("dev.fibril.aio.") && !cls.startsWith("dev.fibril.jetty.")
                    && !cls.equals("dev.fibril.Fibril") && !cls.equals("dev.fibril.FibrilRuntime")) {
                return e.toString();
            }
        }
        return stack[0].toString();
    }

    /** The first frame outside the JDK, Fibril's own included (where a runtime call waits). */
    private static String firstOutsideTheJdk(StackTraceElement[] stack) {
        for (StackTraceElement e : stack) {
            if (!isJdk(e.getClassName())) {
                return e.toString();
            }
        }
        return stack[stack.length - 1].toString();
    }

    private static boolean isJdk(String cls) {
        return cls.startsWith("java.") || cls.startsWith("jdk.") || cls.startsWith("sun.");
    }

    private static String format(StackTraceElement[] stack, int frames) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(frames, stack.length); i++) {
            sb.append("\tat ").append(stack[i]).append('\n');
        }
        if (stack.length > frames) {
            sb.append("\t... ").append(stack.length - frames).append(" more\n");
        }
        return sb.toString();
    }
}
