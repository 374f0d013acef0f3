/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.PrintStream;
import java.time.Duration;

/**
 * The terminal's progress lines: which step runs, how many are left, and the time left, from the
 * estimate of each step scaled by how far the finished steps ran over or under theirs.
 */
final class Progress {
    private final PrintStream out;
    private final int total;
    private final double totalEstimate;
    private final long startNanos = System.nanoTime();
    private double estimateDone;
    private int done;

    Progress(PrintStream out, int total, double totalEstimateSeconds) {
        this.out = out;
        this.total = total;
        this.totalEstimate = totalEstimateSeconds;
    }

    void starting(String what) {
        out.printf("[%2d/%d] %-70s left ~%s%n", done + 1, total, what, format(secondsLeft()));
    }

    void finished(double estimateSeconds, String outcome) {
        done++;
        estimateDone += estimateSeconds;
        out.printf("        %s%n", outcome);
    }

    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private double secondsLeft() {
        double scale = estimateDone > 0 ? elapsedSeconds() / estimateDone : 1.0;
        return Math.max(0, (totalEstimate - estimateDone) * scale);
    }

    static String format(double seconds) {
        Duration d = Duration.ofSeconds(Math.round(seconds));
        return d.toMinutes() > 0 ? d.toMinutes() + "m" + String.format("%02ds", d.toSecondsPart()) : d.toSeconds() + "s";
    }
}
