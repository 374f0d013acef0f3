/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.demo.CommandLine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code ./fibril bench}'s options. A bad option, a malformed {@code --only} pattern and one that
 * selects nothing are {@link CommandLine.UsageException}s (exit 2), found before anything runs.
 *
 * @param idleConnections connections per round of the idle family; 0 for the profile's
 * @param out null for {@code bench/results/<start time>}
 */
record BenchOptions(Profile profile, Pattern only, boolean load, boolean javaHttpClient, int idleConnections, Path out, boolean list) {
    static final String USAGE = """
            usage: ./fibril bench [--quick|--full|--smoke] [--only REGEX] [--no-load] [--http-client wrk|java] [--idle-connections N] [--out DIR] [--list]
              --quick              the quick profile (default; a few minutes on 2 cores)
              --full               the full profile (about half an hour)
              --smoke              one tiny iteration of everything: checks that each benchmark runs
              --only REGEX         only the cases whose id matches (see --list); load.echo, load.http, load.idle and isolation are whole families
              --no-load            leave out the echo, HTTP and idle-connections load families (not isolation)
              --http-client KIND   wrk (default; installed with apt-get when missing) or java
              --idle-connections N idle connections per round of load.idle (default: 2000 quick, 10000 full)
              --out DIR            write the report to DIR instead of bench/results/<start time>
              --list               print the families and their case ids, run nothing""".stripIndent();

    static BenchOptions parse(String[] args) {
        Profile profile = Profile.QUICK;
        Pattern only = null;
        boolean load = true;
        boolean javaHttpClient = false;
        int idleConnections = 0;
        Path out = null;
        boolean list = false;
        CommandLine cl = new CommandLine(args);
        while (cl.hasNext()) {
            String a = cl.next();
            switch (a) {
                case "--full" -> profile = Profile.FULL;
                case "--quick" -> profile = Profile.QUICK;
                case "--smoke" -> profile = Profile.SMOKE;
                case "--only" -> only = pattern(a, cl.value(a));
                case "--no-load" -> load = false;
                case "--out" -> out = Path.of(cl.value(a));
                case "--http-client" -> javaHttpClient = cl.choice(a, "wrk", "java").equals("java");
                case "--idle-connections" -> idleConnections = cl.intValue(a, 1, IdleClient.MAX_CONNECTIONS);
                case "--list" -> list = true;
                default -> throw CommandLine.unknown(a);
            }
        }
        BenchOptions o = new BenchOptions(profile, only, load, javaHttpClient, idleConnections, out, list);
        if (!list && o.selectedCases(Catalog.all()).isEmpty() && !o.runsEcho() && !o.runsHttp() && !o.runsIdle() && !o.runsIsolation()) {
            throw new CommandLine.UsageException("--only '" + only.pattern() + "' selects no case"
                    + (load ? "" : " (and --no-load leaves out the load families)") + "; ./fibril bench --list shows the ids");
        }
        return o;
    }

    private static Pattern pattern(String option, String regex) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new CommandLine.UsageException(option + ": not a regular expression: " + e.getDescription() + " in '" + regex + "'");
        }
    }

    List<Case> selectedCases(List<Case> all) {
        List<Case> cases = new ArrayList<>();
        for (Case c : all) {
            if (only == null || only.matcher(c.id()).find()) {
                cases.add(c);
            }
        }
        return cases;
    }

    boolean runsEcho() {
        return load && (only == null || only.matcher(BenchMain.ECHO_ID).find());
    }

    boolean runsHttp() {
        return load && (only == null || only.matcher(BenchMain.HTTP_ID).find());
    }

    boolean runsIdle() {
        return load && (only == null || only.matcher(BenchMain.IDLE_ID).find());
    }

    /** The isolation family runs unless --only leaves it out; --no-load does not skip it. */
    boolean runsIsolation() {
        return only == null || only.matcher(BenchMain.ISOLATION_ID).find();
    }

    /** What {@code --list} prints: each family with its case ids, then the load families. */
    static String listing(List<Case> all) {
        StringBuilder s = new StringBuilder();
        String family = null;
        for (Case c : all) {
            if (!c.family().equals(family)) {
                family = c.family();
                s.append(family).append('\n');
            }
            s.append("  ").append(c.id()).append(c.reference() ? "  (reference)" : "").append('\n');
        }
        s.append("Echo load\n  ").append(BenchMain.ECHO_ID).append('\n');
        s.append("HTTP load\n  ").append(BenchMain.HTTP_ID).append('\n');
        s.append("Idle connections\n  ").append(BenchMain.IDLE_ID).append('\n');
        s.append("Isolation\n  ").append(BenchMain.ISOLATION_ID).append('\n');
        return s.toString();
    }
}
