/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import java.time.Duration;
import java.util.Locale;

/**
 * {@code ./fibril soak [--minutes N] [--seed S]}: runs the {@link Soak} and prints each round and a
 * verdict. Exit status 0 when every invariant held, 1 when one broke, 2 for bad arguments.
 */
public final class SoakMain {
    private static final String USAGE = "usage: ./fibril soak [--minutes N] [--seed S]\n"
            + "  --minutes N  how long to run, in minutes (a decimal is fine; default 2)\n"
            + "  --seed S     the seed of the work, the chaos and the simulated kernel's faults (default 1)";

    private SoakMain() {
    }

    public static void main(String[] args) throws Exception {
        double minutes = 2;
        long seed = 1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return;
                }
                case "--minutes" -> minutes = number(args, ++i, a);
                case "--seed" -> seed = (long) number(args, ++i, a);
                default -> bad("unknown option '" + a + "'");
            }
        }
        if (!(minutes > 0) || minutes > 24 * 60) {
            bad("--minutes must be more than 0 and at most 1440, was " + minutes);
        }
        System.out.printf(Locale.ROOT, "Fibril soak: %.1f minute(s), seed %d%n", minutes, seed);
        Soak.Summary s = Soak.run(Duration.ofMillis((long) (minutes * 60_000)), seed, System.out);
        System.out.printf(Locale.ROOT, "%d round(s) in %d s%n", s.rounds().size(), s.took().toSeconds());
        if (s.passed()) {
            System.out.println("PASS: every byte right, every worker ended, nothing left in use, no descriptor or fd left, resident memory flat");
        } else {
            System.out.println("FAIL:");
            s.failures().forEach(f -> System.out.println("  " + f));
            System.exit(1);
        }
    }

    private static double number(String[] args, int i, String option) {
        if (i >= args.length) {
            bad(option + " needs a value");
        }
        try {
            return Double.parseDouble(args[i]);
        } catch (NumberFormatException e) {
            bad(option + " needs a number, got '" + args[i] + "'");
            return 0;
        }
    }

    private static void bad(String message) {
        System.err.println("fibril soak: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }
}
