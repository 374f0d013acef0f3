/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The isolation family: while one fibril holds its carrier's thread for {@value #HOLD_MILLIS} ms
 * (a CPU loop, then a blocking java.io read of a FIFO), how late are a 1 ms timer and an echo
 * round trip on the same carrier? Fibril with the hand-off on (default threshold) and off, against
 * JDK virtual threads on the default scheduler. Each run is an {@link IsolationProbe} in its own
 * JVM; rounds interleave the runtimes.
 */
final class Isolation {
    static final long HOLD_MILLIS = 1000;
    private static final long CHILD_TIMEOUT_SECONDS = 60;

    /** A runtime of the comparison: the probe's argument and the report's label. */
    record Runtime(String id, String label, boolean reference) {
    }

    /** A way to hold the thread: the probe's argument and the report's label. */
    record Hold(String id, String label) {
    }

    static final List<Hold> HOLDS = List.of(
            new Hold("cpu", "CPU loop, " + HOLD_MILLIS + " ms"),
            new Hold("read", "java.io read of a FIFO, fed after " + HOLD_MILLIS + " ms"));

    private final Profile profile;
    private final Path dir;
    private final String backend;
    private final List<Runtime> runtimes;
    private String note = "";

    Isolation(Profile profile, Path out, Machine machine) {
        this.profile = profile;
        this.dir = out.resolve("isolation");
        this.backend = machine.ioUringAvailable() ? "io_uring" : "epoll";
        this.runtimes = List.of(
                new Runtime("jdk-virtual", "JDK virtual threads, default scheduler", true),
                new Runtime("fibril-on", "Fibril (" + backend + ", 1 carrier), hand-off on (default threshold)", false),
                new Runtime("fibril-off", "Fibril (" + backend + ", 1 carrier), hand-off off", false));
    }

    int steps() {
        return profile.isolationRounds() * HOLDS.size() * runtimes.size();
    }

    double estimateSeconds() {
        return steps() * stepEstimate();
    }

    private static double stepEstimate() {
        return 1.5 + (IsolationProbe.WARMUP_MILLIS + HOLD_MILLIS + IsolationProbe.TAIL_MILLIS) / 1000.0;
    }

    String note() {
        return note;
    }

    List<IsolationResult> run(Progress progress) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path fifo = dir.resolve("hold.fifo");
        String fifoProblem = mkfifo(fifo);
        Map<String, Histogram[]> merged = new LinkedHashMap<>();
        Map<String, List<Long>> handoffs = new LinkedHashMap<>();
        Map<String, String> failed = new LinkedHashMap<>();
        for (int round = 1; round <= profile.isolationRounds(); round++) {
            for (Hold h : HOLDS) {
                for (Runtime r : runtimes) {
                    String key = r.id() + "/" + h.id();
                    progress.starting("isolation round " + round + ": " + r.label() + ", " + h.label());
                    String outcome;
                    if (failed.containsKey(key)) {
                        outcome = failed.get(key);
                    } else if (h.id().equals("read") && fifoProblem != null) {
                        failed.put(key, "skipped: " + fifoProblem);
                        outcome = failed.get(key);
                    } else {
                        try {
                            Probe p = probe(r, h, fifo, round);
                            Histogram[] m = merged.computeIfAbsent(key, k -> new Histogram[] {new Histogram(3), new Histogram(3)});
                            m[0].add(p.timer());
                            m[1].add(p.echo());
                            handoffs.computeIfAbsent(key, k -> new ArrayList<>()).add(p.handoffs());
                            outcome = "timer max " + Fmt.num(p.timer().getMaxValue() / 1e6) + " ms, echo max "
                                    + Fmt.num(p.echo().getMaxValue() / 1e6) + " ms, held " + p.heldMillis() + " ms"
                                    + (p.handoffs() < 0 ? "" : ", " + p.handoffs() + " hand-off(s)");
                        } catch (IOException e) {
                            failed.put(key, "failed: " + e.getMessage());
                            outcome = failed.get(key);
                        }
                    }
                    progress.finished(stepEstimate(), outcome);
                }
            }
        }
        note = profile.isolationRounds() + " round(s); in each, every runtime in its own JVM: a timer fibril sleeps 1 ms in a loop "
                + "(Fibril.sleep, or Thread.sleep on JDK virtual threads) and an echo client does closed-loop round trips of "
                + "32 B with an echo server over loopback, all on the same scheduler; after " + IsolationProbe.WARMUP_MILLIS
                + " ms one more fibril holds its thread. Counted: every timer gap (asked 1 ms) and round trip that overlaps "
                + "the hold; timer gaps corrected for coordinated omission at 1 ms (a 1 s gap also counts the 999 ticks it "
                + "swallowed), round trips as measured (round trips: how many overlapped the hold); percentiles over the "
                + "rounds' samples together. Fibril runs one carrier, so every fibril shares the held one; the JDK's "
                + "scheduler has one carrier per CPU. Ratio: max timer gap to the JDK's.";
        return summarize(merged, handoffs, failed);
    }

    private record Probe(Histogram timer, Histogram echo, long heldMillis, long handoffs) {
    }

    private Probe probe(Runtime r, Hold h, Path fifo, int round) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch",
                "-cp", System.getProperty("java.class.path"), IsolationProbe.class.getName(),
                r.id(), h.id(), backend, Long.toString(HOLD_MILLIS), fifo.toString()));
        Path log = dir.resolve(r.id() + "-" + h.id() + "-round" + round + ".stderr.log");
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        Histogram timer = null;
        Histogram echo = null;
        long held = -1;
        long handoffs = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "HIST" -> {
                        if (f[1].equals("timer")) {
                            timer = IsolationProbe.decode(f[2]);
                        } else {
                            echo = IsolationProbe.decode(f[2]);
                        }
                    }
                    case "HELD" -> held = Long.parseLong(f[1]);
                    case "STATS" -> handoffs = Long.parseLong(f[1]);
                    default -> {
                        // anything else the child prints is not ours
                    }
                }
            }
        } finally {
            if (!p.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (timer == null || echo == null) {
            throw new IOException("the probe gave no histograms (exit " + (p.isAlive() ? "?" : p.exitValue())
                    + ", see isolation/" + log.getFileName() + ")");
        }
        if (timer.getTotalCount() == 0 || echo.getTotalCount() == 0) {
            throw new IOException("the probe recorded no " + (timer.getTotalCount() == 0 ? "timer gap" : "round trip")
                    + " (see isolation/" + log.getFileName() + ")");
        }
        return new Probe(timer, echo, held, handoffs);
    }

    private List<IsolationResult> summarize(Map<String, Histogram[]> merged, Map<String, List<Long>> handoffs,
                                            Map<String, String> failed) throws IOException {
        List<IsolationResult> results = new ArrayList<>();
        for (Hold h : HOLDS) {
            for (Runtime r : runtimes) {
                String key = r.id() + "/" + h.id();
                Histogram[] m = merged.get(key);
                if (m == null) {
                    results.add(IsolationResult.missing(r.label(), r.reference(), h.label(), failed.getOrDefault(key, "not measured")));
                    continue;
                }
                try (PrintStream ps = new PrintStream(Files.newOutputStream(dir.resolve(r.id() + "-" + h.id() + ".hgrm.txt")),
                        true, StandardCharsets.UTF_8)) {
                    ps.println("# timer gap, " + r.label() + ", " + h.label() + "; values in ms");
                    m[0].outputPercentileDistribution(ps, 1e6);
                    ps.println("# echo round trip, " + r.label() + ", " + h.label() + "; values in ms");
                    m[1].outputPercentileDistribution(ps, 1e6);
                }
                long sum = handoffs.get(key).stream().mapToLong(Long::longValue).sum();
                boolean counted = handoffs.get(key).stream().allMatch(x -> x >= 0);
                results.add(new IsolationResult(r.label(), r.reference(), h.label(),
                        m[0].getValueAtPercentile(50) / 1e6, m[0].getValueAtPercentile(99) / 1e6, m[0].getMaxValue() / 1e6,
                        m[1].getValueAtPercentile(50) / 1e6, m[1].getValueAtPercentile(99) / 1e6, m[1].getMaxValue() / 1e6,
                        m[0].getTotalCount(), m[1].getTotalCount(), counted ? sum : -1, ""));
            }
        }
        return results;
    }

    /** Makes the FIFO the read hold uses; returns why it could not, or null. */
    private static String mkfifo(Path fifo) throws InterruptedException {
        try {
            Files.deleteIfExists(fifo);
            Process mk = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
            String out = new String(mk.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!mk.waitFor(30, TimeUnit.SECONDS) || mk.exitValue() != 0) {
                return "mkfifo failed: " + out;
            }
            return null;
        } catch (IOException e) {
            return "mkfifo cannot run here: " + e.getMessage();
        }
    }
}
