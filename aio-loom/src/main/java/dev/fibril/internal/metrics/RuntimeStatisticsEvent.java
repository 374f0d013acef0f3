/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.metrics;

import dev.fibril.RuntimeStats;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Supplier;

/** JFR, periodic: each open runtime's counters, as {@link RuntimeStats} has them. */
@Name("dev.fibril.RuntimeStatistics")
@Label("Fibril Runtime Statistics")
@Category("Fibril")
@Description("A Fibril runtime's fibrils, requests, descriptors and hand-offs")
@Period("1 s")
@StackTrace(false)
public final class RuntimeStatisticsEvent extends Event {
    private static final Set<Supplier<RuntimeStats>> RUNTIMES = new CopyOnWriteArraySet<>();

    static {
        FlightRecorder.addPeriodicEvent(RuntimeStatisticsEvent.class, RuntimeStatisticsEvent::emit);
    }

    @Label("Backend")
    String backend;
    @Label("Carriers")
    int carriers;
    @Label("Fibrils Alive")
    int fibrilsAlive;
    @Label("Fibrils Started")
    long fibrilsStarted;
    @Label("Submissions")
    long submissions;
    @Label("Completions")
    long completions;
    @Label("Descriptors In Use")
    int descriptorsInUse;
    @Label("Descriptor Waiters")
    int descriptorWaiters;
    @Label("Hand-offs")
    long handoffs;
    @Label("Spare Threads")
    int spareThreads;
    @Label("Failed Carriers")
    int failedCarriers;

    /** Reports {@code stats} of an open runtime in every period; until {@link #unregister}. */
    public static void register(Supplier<RuntimeStats> stats) {
        RUNTIMES.add(stats);
    }

    public static void unregister(Supplier<RuntimeStats> stats) {
        RUNTIMES.remove(stats);
    }

    private static void emit() {
        for (Supplier<RuntimeStats> runtime : RUNTIMES) {
            RuntimeStats s = runtime.get();
            RuntimeStatisticsEvent e = new RuntimeStatisticsEvent();
            e.backend = s.backend();
            e.carriers = s.carriers();
            e.fibrilsAlive = s.fibrilsAlive();
            e.fibrilsStarted = s.fibrilsStarted();
            e.submissions = s.submissions();
            e.completions = s.completions();
            e.descriptorsInUse = s.descriptorsInUse();
            e.descriptorWaiters = s.descriptorWaiters();
            e.handoffs = s.handoffs();
            e.spareThreads = s.spareThreads();
            e.failedCarriers = s.failedCarriers();
            e.commit();
        }
    }
}
