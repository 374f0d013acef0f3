/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import dev.fibril.syscall.uring.IoUringBackend;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The soak: rounds of {@link Round} until the time is up, cycling the backends (io_uring where it
 * runs, epoll, the simulated kernel with seeded faults), every third round ending hard, and the
 * invariants across rounds: file descriptors back to where each round started (from each
 * backend's second round on: a backend's first use may open what the JDK keeps for good), and
 * resident memory flat (the last rounds' peak within 1.5 times, plus 64 MiB, the early rounds').
 */
public final class Soak {
    private static final long ROUND_NANOS = Duration.ofSeconds(8).toNanos();
    private static final long RSS_SLACK_KIB = 64 * 1024;

    /** How the soak went. */
    public record Summary(List<Round.Result> rounds, List<String> failures, Duration took) {
        public boolean passed() {
            return failures.isEmpty();
        }
    }

    private Soak() {
    }

    /** Runs for about {@code duration} (at least one round per backend) from {@code seed}, printing each round to {@code out}. */
    public static Summary run(Duration duration, long seed, PrintStream out) throws Exception {
        List<String> backends = new ArrayList<>();
        if (IoUringBackend.probe().available()) {
            backends.add("io_uring");
        } else {
            out.println("io_uring cannot run here (" + IoUringBackend.probe().reason() + "): epoll and the simulated kernel only");
        }
        backends.add("epoll");
        backends.add("simulated");
        String only = System.getProperty("fibril.soak.backends");
        if (only != null) {
            backends.retainAll(List.of(only.split(",")));
        }
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        List<Round.Result> rounds = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        out.println("round  backend    end       exchanges  file ops  http reqs  MiB checked  interrupts  closes  clean errors  fds before/after  RSS MiB");
        for (int n = 0; n < backends.size() || System.nanoTime() + ROUND_NANOS / 2 < end; n++) {
            String backend = backends.get(n % backends.size());
            boolean hard = n % 3 == 2;
            Round.Result r = Round.run(n + 1, backend, hard, seed * 1_000_003L + n, ROUND_NANOS);
            rounds.add(r);
            out.println(line(r));
            for (String f : r.tally().failures()) {
                failures.add("round " + r.number() + " (" + backend + "): " + f);
            }
            if (r.tally().failureCount() > r.tally().failures().size()) {
                failures.add("round " + r.number() + ": " + (r.tally().failureCount() - r.tally().failures().size()) + " more failure(s)");
            }
            if (!seen.add(backend) && r.fdsBefore() >= 0 && r.fdsAfter() > r.fdsBefore()) {
                failures.add("round " + r.number() + " (" + backend + "): " + (r.fdsAfter() - r.fdsBefore())
                        + " file descriptor(s) more open after the round than before it");
            }
        }
        rssFlat(rounds, failures);
        return new Summary(rounds, failures, Duration.ofNanos(System.nanoTime() - start));
    }

    /** The early rounds' peak against the last rounds' peak, once there are enough rounds to tell. */
    private static void rssFlat(List<Round.Result> rounds, List<String> failures) {
        int third = rounds.size() / 3;
        if (third < 2) {
            return; // too short to tell growth from warm-up
        }
        long early = 0;
        long late = 0;
        for (int i = 1; i <= third; i++) { // round 1 warms the JIT and the pools up
            early = Math.max(early, rounds.get(i).rssKiB());
        }
        for (int i = rounds.size() - third; i < rounds.size(); i++) {
            late = Math.max(late, rounds.get(i).rssKiB());
        }
        if (early > 0 && late > early * 3 / 2 + RSS_SLACK_KIB) {
            failures.add(String.format(Locale.ROOT, "resident memory grew from %.0f MiB (early rounds' peak) to %.0f MiB (last rounds' peak)",
                    early / 1024.0, late / 1024.0));
        }
    }

    private static String line(Round.Result r) {
        Tally t = r.tally();
        return String.format(Locale.ROOT, "%5d  %-9s  %-8s  %9d  %8d  %9d  %11.1f  %10d  %6d  %12d  %7d/%-8d  %7.0f%s",
                r.number(), r.backend(), r.hard() ? "hard" : "graceful", t.exchanges.sum(), t.fileOps.sum(),
                t.httpRequests.sum(), t.bytes.sum() / 1048576.0, t.interrupts.sum(), t.closes.sum(),
                t.cleanErrors.sum(), r.fdsBefore(), r.fdsAfter(), r.rssKiB() / 1024.0,
                t.failureCount() == 0 ? "" : "  FAILED (" + t.failureCount() + ")");
    }
}
