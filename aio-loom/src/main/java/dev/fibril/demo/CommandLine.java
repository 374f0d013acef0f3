/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.demo;

import java.io.PrintStream;

/**
 * The command line of Fibril's programs ({@code ./fibril echo}, {@code serve}, {@code bench}):
 * options read in order, each bad argument a {@link UsageException}, and one convention for how a
 * program ends. {@code --help} (or {@code -h}) anywhere prints the usage to stdout and exits 0; a
 * usage error prints one line to stderr and exits 2; any other failure prints one line (the
 * exception's message and its causes', no stack trace) and exits 1.
 */
public final class CommandLine {
    /** Exit status of a bad command line. */
    public static final int EXIT_USAGE = 2;
    /** Exit status of a program that failed while running (a port in use, an unusable backend). */
    public static final int EXIT_FAILURE = 1;

    private final String[] args;
    private int next;

    public CommandLine(String[] args) {
        this.args = args.clone();
    }

    /** A bad command line: an unknown option, a missing or malformed value. */
    public static final class UsageException extends IllegalArgumentException {
        public UsageException(String message) {
            super(message);
        }
    }

    /** What a program does with its arguments once {@code --help} has been ruled out. */
    @FunctionalInterface
    public interface Program {
        void run(String[] args) throws Exception;
    }

    /** Whether another option follows. */
    public boolean hasNext() {
        return next < args.length;
    }

    /** The next option. */
    public String next() {
        if (!hasNext()) {
            throw new IllegalStateException("no more arguments");
        }
        return args[next++];
    }

    /** The value after {@code option}; a usage error when there is none. */
    public String value(String option) {
        if (!hasNext()) {
            throw new UsageException(option + " needs a value");
        }
        return args[next++];
    }

    /** The value after {@code option} as an int in {@code [min, max]}. */
    public int intValue(String option, int min, int max) {
        String v = value(option);
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " needs a number, not '" + v + "'");
        }
        if (n < min || n > max) {
            throw new UsageException(option + " must be between " + min + " and " + max + ", not " + n);
        }
        return n;
    }

    /** The value after {@code option}, which must be one of {@code choices} (compared ignoring case). */
    public String choice(String option, String... choices) {
        String v = value(option);
        for (String c : choices) {
            if (c.equalsIgnoreCase(v)) {
                return c;
            }
        }
        throw new UsageException(option + " takes " + String.join(", ", choices) + ", not '" + v + "'");
    }

    /** The usage error for an option no program knows. */
    public static UsageException unknown(String option) {
        return new UsageException(option.startsWith("-") ? "unknown option " + option : "unexpected argument '" + option + "'");
    }

    /** Whether {@code args} ask for the usage. */
    public static boolean wantsHelp(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs {@code program} as a {@code main}: returns normally when it does, else exits with
     * {@link #run}'s status.
     */
    public static void main(String name, String usage, String[] args, Program program) {
        int status = run(name, usage, args, program, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs {@code program} and returns the exit status: 0, {@link #EXIT_USAGE} or {@link #EXIT_FAILURE}. */
    public static int run(String name, String usage, String[] args, Program program, PrintStream out, PrintStream err) {
        if (wantsHelp(args)) {
            out.println(usage);
            return 0;
        }
        try {
            program.run(args);
            return 0;
        } catch (UsageException e) {
            err.println(name + ": " + e.getMessage() + " (" + name + " --help lists the options)");
            return EXIT_USAGE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println(name + ": interrupted");
            return EXIT_FAILURE;
        } catch (Exception | LinkageError e) {
            err.println(name + ": " + oneLine(e));
            return EXIT_FAILURE;
        }
    }

    /** The failure and its causes in one line: each distinct message once, outermost first. */
    public static String oneLine(Throwable t) {
        StringBuilder sb = new StringBuilder();
        String last = null;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (m == null || m.isBlank()) {
                m = c.getClass().getSimpleName();
            }
            if (last != null && last.contains(m)) {
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append(": ");
            }
            sb.append(m.strip().replace('\n', ' '));
            last = m;
        }
        return sb.toString();
    }
}
