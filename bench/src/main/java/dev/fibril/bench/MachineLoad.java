/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The machine's load average (1, 5 and 15 minutes, from {@code /proc/loadavg}) at one moment of the
 * run: before it, before each family, after it. Only the first sample is free of the run's own
 * threads, so only it decides whether the machine was busy.
 */
record MachineLoad(String moment, double oneMinute, double fiveMinutes, double fifteenMinutes) {
    /** A 1-minute load above this share of the CPUs before the run means other work competed for them. */
    static final double BUSY_PER_CPU = 0.5;

    static MachineLoad now(String moment) {
        try {
            return parse(moment, Files.readString(Path.of("/proc/loadavg")));
        } catch (IOException | RuntimeException e) {
            return new MachineLoad(moment, Double.NaN, Double.NaN, Double.NaN); // not Linux: unknown
        }
    }

    /** Reads a {@code /proc/loadavg} line such as {@code 0.52 0.40 0.33 1/123 4567}. */
    static MachineLoad parse(String moment, String loadavg) {
        String[] f = loadavg.trim().split("\\s+");
        if (f.length < 3) {
            throw new IllegalArgumentException("not a /proc/loadavg line: '" + loadavg + "'");
        }
        return new MachineLoad(moment, Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
    }

    String format() {
        return Double.isNaN(oneMinute) ? moment + ": unknown"
                : String.format(Locale.ROOT, "%s: %.2f / %.2f / %.2f", moment, oneMinute, fiveMinutes, fifteenMinutes);
    }

    /** All samples in one line, or an empty string when there are none. */
    static String line(List<MachineLoad> samples) {
        return String.join("; ", samples.stream().map(MachineLoad::format).toList());
    }

    /** A warning when the machine was already busy before the run; null when it was quiet or unknown. */
    static String busyWarning(List<MachineLoad> samples, int cpus) {
        if (samples.isEmpty() || Double.isNaN(samples.get(0).oneMinute())) {
            return null;
        }
        MachineLoad before = samples.get(0);
        if (before.oneMinute() <= BUSY_PER_CPU * cpus) {
            return null;
        }
        return String.format(Locale.ROOT, "Warning: the machine was busy before the run (1-minute load average %.2f on %d CPUs): "
                + "other work competed for the CPUs, so numbers are noisier and ratios less reliable than on a quiet machine.",
                before.oneMinute(), cpus);
    }
}
