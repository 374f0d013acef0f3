/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
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
 * The echo-load family: each server in its own JVM, loaded by {@link LoadClient} in this one, in
 * interleaved rounds (every server once per load per round), measuring throughput, latency
 * percentiles and the server process's own CPU time per message from /proc/pid/stat.
 */
final class EchoLoad {
    private static final String REFERENCE = "jdk-virtual";
    private static final Map<String, String> SERVERS = new LinkedHashMap<>();

    static {
        SERVERS.put("jdk-virtual", "JDK virtual threads, blocking java.net");
        SERVERS.put("fibril-io_uring", "Fibril, io_uring");
        SERVERS.put("fibril-epoll", "Fibril, epoll");
        SERVERS.put("platform", "platform thread per connection");
        SERVERS.put("netty-epoll", "Netty 4.2, native epoll");
        SERVERS.put("netty-io_uring", "Netty 4.2, native io_uring");
    }

    private static final int[] SIZES = {64, 4096};
    private static final int[] CONNECTIONS = {100, 1000};
    /** USER_HZ: the unit of utime and stime in /proc/pid/stat on Linux. */
    static final double CLOCK_TICKS_PER_SECOND = 100.0;

    private final Profile profile;
    private final Path out;
    private String note = "";

    EchoLoad(Profile profile, Path out) {
        this.profile = profile;
        this.out = out;
    }

    int steps() {
        return profile.loadRounds() * SIZES.length * CONNECTIONS.length * SERVERS.size();
    }

    double estimateSeconds() {
        return steps() * (profile.loadWarmupSeconds() + profile.loadSeconds() + 0.7) + SERVERS.size() * 1.5;
    }

    String note() {
        return note;
    }

    List<LoadResult> run(Progress progress, Machine machine) throws IOException, InterruptedException {
        Map<String, Process> processes = new LinkedHashMap<>();
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        Map<String, String> failed = new LinkedHashMap<>();
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        try {
            for (String kind : SERVERS.keySet()) {
                if (kind.equals("fibril-io_uring") && !machine.ioUringAvailable()) {
                    failed.put(kind, "skipped: io_uring " + machine.ioUring());
                    continue;
                }
                try {
                    Process p = start(kind);
                    processes.put(kind, p);
                    addresses.put(kind, new InetSocketAddress("127.0.0.1", readPort(p, kind)));
                } catch (IOException e) {
                    failed.put(kind, "failed to start: " + e.getMessage());
                }
            }
            for (int round = 1; round <= profile.loadRounds(); round++) {
                for (int size : SIZES) {
                    for (int conns : CONNECTIONS) {
                        for (String kind : SERVERS.keySet()) {
                            String key = kind + "/" + size + "/" + conns;
                            progress.starting("echo load round " + round + ": " + SERVERS.get(kind) + ", " + size + " B, " + conns + " conns");
                            String outcome;
                            if (failed.containsKey(kind)) {
                                outcome = failed.get(kind);
                            } else {
                                try {
                                    Sample s = measure(processes.get(kind), addresses.get(kind), size, conns);
                                    samples.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
                                    outcome = Fmt.num(s.window.messages() / s.window.seconds()) + " msg/s, p99 "
                                            + Fmt.num(s.window.latencyNanos().getValueAtPercentile(99) / 1000.0) + " µs";
                                } catch (IOException e) {
                                    failed.put(kind, "failed: " + e.getMessage());
                                    outcome = failed.get(kind);
                                }
                            }
                            progress.finished(profile.loadWarmupSeconds() + profile.loadSeconds() + 0.7, outcome);
                        }
                    }
                }
            }
        } finally {
            for (Process p : processes.values()) {
                p.getOutputStream().close(); // the server exits when its input closes
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
        note = profile.loadRounds() + " interleaved round(s) of " + profile.loadSeconds() + " s measured after "
                + profile.loadWarmupSeconds() + " s warm-up per server and load; closed loop (one message in flight per connection), "
                + "loopback, " + 2 + " client threads; throughput and CPU per message are medians over the rounds, "
                + "throughput error = standard deviation across rounds; "
                + "CPU = server process utime+stime per echoed message; reference: " + SERVERS.get(REFERENCE) + ".";
        return summarize(samples, failed);
    }

    private record Sample(LoadClient.Window window, double cpuSeconds) {
    }

    private Sample measure(Process p, InetSocketAddress address, int size, int conns) throws IOException, InterruptedException {
        long[] before = new long[1];
        LoadClient.Window w = LoadClient.run(address, conns, size, profile.loadWarmupSeconds(), profile.loadSeconds(),
                () -> before[0] = cpuTicks(p.pid()));
        double cpu = (cpuTicks(p.pid()) - before[0]) / CLOCK_TICKS_PER_SECOND;
        return new Sample(w, cpu);
    }

    private List<LoadResult> summarize(Map<String, List<Sample>> samples, Map<String, String> failed) throws IOException {
        List<LoadResult> results = new ArrayList<>();
        Path histograms = Files.createDirectories(out.resolve("histograms"));
        for (int size : SIZES) {
            for (int conns : CONNECTIONS) {
                for (String kind : SERVERS.keySet()) {
                    List<Sample> list = samples.get(kind + "/" + size + "/" + conns);
                    String name = SERVERS.get(kind);
                    boolean ref = kind.equals(REFERENCE);
                    if (list == null || list.isEmpty()) {
                        results.add(new LoadResult(name, ref, size, conns, 0, 0, 0, 0, 0, 0,
                                failed.getOrDefault(kind, "not measured")));
                        continue;
                    }
                    Histogram h = new Histogram(3);
                    long messages = 0;
                    double[] rates = new double[list.size()];
                    double[] cpuPerMessage = new double[list.size()];
                    for (int i = 0; i < list.size(); i++) {
                        Sample s = list.get(i);
                        h.add(s.window.latencyNanos());
                        messages += s.window.messages();
                        rates[i] = s.window.messages() / s.window.seconds();
                        cpuPerMessage[i] = s.window.messages() == 0 ? Double.NaN : s.cpuSeconds * 1e9 / s.window.messages();
                    }
                    try (PrintStream ps = new PrintStream(Files.newOutputStream(
                            histograms.resolve(kind + "-" + size + "B-" + conns + "c.txt")), true, StandardCharsets.UTF_8)) {
                        ps.println("# " + name + ", " + size + " B, " + conns + " connections; values in µs");
                        h.outputPercentileDistribution(ps, 1000.0);
                    }
                    results.add(new LoadResult(name, ref, size, conns, median(rates), stddev(rates),
                            h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                            h.getValueAtPercentile(99.9) / 1000.0, messages == 0 ? Double.NaN : median(cpuPerMessage), ""));
                }
            }
        }
        return results;
    }

    /** The median: rounds disturbed by the shared machine move it less than they move a mean. */
    static double median(double[] v) {
        double[] sorted = v.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double stddev(double[] v) {
        if (v.length < 2) {
            return Double.NaN;
        }
        double mean = 0;
        for (double x : v) {
            mean += x / v.length;
        }
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return Math.sqrt(ss / (v.length - 1));
    }

    private Process start(String kind) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch",
                "-cp", System.getProperty("java.class.path"), EchoServers.class.getName(), kind));
        return new ProcessBuilder(cmd).redirectError(out.resolve("server-" + kind + ".log").toFile()).start();
    }

    private static int readPort(Process p, String kind) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith("PORT ")) {
                return Integer.parseInt(line.substring(5).trim());
            }
        }
        throw new IOException("server " + kind + " exited before it announced a port (exit " + p.exitValue() + ")");
    }

    /** utime + stime of process {@code pid}, in clock ticks (fields 14 and 15 of /proc/pid/stat). */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14, 15 counted from state (field 3)
    }
}
