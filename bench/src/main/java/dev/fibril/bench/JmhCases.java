/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the catalog's cases one JMH run at a time (so the terminal can say which runs and how many
 * are left), with the gc profiler for B/op. JMH's own output goes to a log file.
 */
final class JmhCases {
    private final Profile profile;
    private final PrintStream jmhLog;
    private final List<RunResult> raw = new ArrayList<>();

    JmhCases(Profile profile, PrintStream jmhLog) {
        this.profile = profile;
        this.jmhLog = jmhLog;
    }

    /** Raw JMH results of every case that ran, for the JSON file. */
    List<RunResult> raw() {
        return raw;
    }

    Row run(Case c, String skipReason) {
        if (skipReason != null) {
            return Row.missing(c, "skipped: " + skipReason);
        }
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(c.include())
                .forks(profile.forks())
                .warmupIterations(profile.warmups())
                .warmupTime(profile.warmupTime())
                .measurementIterations(profile.iterations())
                .measurementTime(profile.iterationTime())
                .addProfiler("gc")
                .shouldFailOnError(true)
                .verbosity(VerboseMode.NORMAL);
        c.params().forEach((k, v) -> o.param(k, v));
        // JMH copies the forks' stderr (runtime log lines, JDK warnings) to ours: keep it in the log.
        PrintStream terminalErr = System.err;
        System.setErr(jmhLog);
        try {
            Collection<RunResult> results = new Runner(o.build(),
                    OutputFormatFactory.createFormatInstance(jmhLog, VerboseMode.NORMAL)).run();
            if (results.isEmpty()) {
                return Row.missing(c, "failed: JMH returned no result (see jmh.log)");
            }
            RunResult r = results.iterator().next();
            raw.add(r);
            return toRow(c, r);
        } catch (RunnerException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            return Row.missing(c, "failed: " + root.getClass().getSimpleName() + ": " + root.getMessage() + " (see jmh.log)");
        } finally {
            System.setErr(terminalErr);
        }
    }

    private static Row toRow(Case c, RunResult r) {
        Result<?> primary = r.getPrimaryResult();
        double bytes = Double.NaN;
        for (var e : r.getSecondaryResults().entrySet()) {
            if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                bytes = e.getValue().getScore();
            }
        }
        BenchmarkParams p = r.getParams();
        String unit = p.getTimeUnit() == java.util.concurrent.TimeUnit.NANOSECONDS ? "ns/op" : primary.getScoreUnit();
        return new Row(c.family(), c.group(), c.label(), c.reference(), primary.getScore(), primary.getScoreError(),
                unit, bytes, "");
    }
}
