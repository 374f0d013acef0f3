/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP comparison: the demo server (fibril-demo) in four configurations and two peers (Helidon
 * SE, Vert.x), each in its own JVM with the same two endpoints ({@link HttpServers}), loaded by wrk
 * (or the Java client) over loopback HTTP/1.1 keep-alive in interleaved rounds, measuring
 * throughput, latency and the server process's CPU time per request. Ratios are taken against the
 * better of the two plain-Jetty servers in the same run.
 */
final class HttpLoad {
    static final int CONNECTIONS = 100;

    static final List<HttpServers.Server> SERVERS = List.of(HttpServers.FIBRIL_IO_URING, HttpServers.FIBRIL_EPOLL,
            HttpServers.SERVER_QUEUED, HttpServers.SERVER_VIRTUAL, HttpServers.HELIDON, HttpServers.VERTX);

    private final Profile profile;
    private final Path dir;
    private final boolean javaClientOnly;
    private String note = "";
    private String generator = "";
    private List<CpuBreakdown.Result> breakdown = List.of();
    private String breakdownNote = "";

    /**
     * @param javaClientOnly use the Java client even where wrk is or could be installed
     */
    HttpLoad(Profile profile, Path out, boolean javaClientOnly) {
        this.profile = profile;
        this.dir = out.resolve("http");
        this.javaClientOnly = javaClientOnly;
    }

    /** The servers of the CPU breakdown: the Fibril connector on io_uring and the two plain-Jetty baselines. */
    static final List<HttpServers.Server> PROFILED = List.of(HttpServers.FIBRIL_IO_URING, HttpServers.SERVER_QUEUED,
            HttpServers.SERVER_VIRTUAL);

    int steps() {
        return SERVERS.size() + profile.httpRounds() * HttpWorkload.values().length * SERVERS.size() + PROFILED.size();
    }

    /** Seconds of warm-up and of profiling per server in the CPU breakdown: long enough for the JIT to settle. */
    private int breakdownSeconds() {
        return Math.max(5, profile.httpSeconds());
    }

    /** A server's JVM start (heap pre-touch, Jetty start) and its first warm-up. */
    private double startEstimate() {
        return 3 + HttpWorkload.values().length * (profile.httpFirstWarmupSeconds() + 0.5);
    }

    double estimateSeconds() {
        return SERVERS.size() * startEstimate()
                + profile.httpRounds() * HttpWorkload.values().length * SERVERS.size()
                * (profile.httpWarmupSeconds() + profile.httpSeconds() + 1.0)
                + PROFILED.size() * (5 + 2 * breakdownSeconds());
    }

    /** Where each profiled server's CPU per request goes; empty when the pass did not run. */
    List<CpuBreakdown.Result> breakdown() {
        return breakdown;
    }

    /** How the CPU breakdown ran, or why it did not. */
    String breakdownNote() {
        return breakdownNote;
    }

    String note() {
        return note;
    }

    /** The load generator that ran: wrk with its version, or the Java client. */
    String generator() {
        return generator;
    }

    private record Sample(HttpRun run, double cpuSeconds) {
    }

    /** What one run learned so far: the servers' processes and addresses, failures, and the clean rounds. */
    private static final class RunState {
        final Map<String, Process> processes = new LinkedHashMap<>();
        final Map<String, URI> bases = new LinkedHashMap<>();
        final Map<String, String> labels = new LinkedHashMap<>();
        final List<String> notes = new ArrayList<>();
        final Map<String, String> failed = new LinkedHashMap<>();
        final Map<String, List<Sample>> samples = new LinkedHashMap<>();
        final Map<String, List<String>> roundFailures = new LinkedHashMap<>();
    }

    List<HttpResult> run(Progress progress, Machine machine) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        HttpGenerator gen = javaClientOnly ? null : Wrk.findOrInstall(dir.resolve("wrk-install.log"));
        if (gen == null) {
            gen = new HttpLoadClient();
        }
        generator = gen.describe() + (gen instanceof Wrk ? "" : javaClientOnly ? " (--http-client java)"
                : " (wrk is not installed and could not be: see http/wrk-install.log)");
        RunState st = new RunState();
        try {
            for (HttpServers.Server s : SERVERS) {
                progress.starting("HTTP start and warm-up: " + s.label(Map.of()));
                progress.finished(startEstimate(), startAndWarmUp(gen, s, machine, st));
            }
            for (int round = 1; round <= profile.httpRounds(); round++) {
                for (HttpWorkload w : HttpWorkload.values()) {
                    for (HttpServers.Server s : SERVERS) {
                        progress.starting("HTTP round " + round + ": " + st.labels.getOrDefault(s.id(), s.label(Map.of())) + ", " + w.label());
                        progress.finished(profile.httpWarmupSeconds() + profile.httpSeconds() + 1.0, measureRound(gen, s, w, round, st));
                    }
                }
            }
        } finally {
            for (Process p : st.processes.values()) {
                HttpServers.stop(p);
            }
        }
        runBreakdown(gen, progress, machine, st);
        note = profile.httpRounds() + " interleaved round(s) of " + profile.httpSeconds() + " s measured per server and workload, each after a "
                + profile.httpWarmupSeconds() + " s warm-up run (and " + profile.httpFirstWarmupSeconds() + " s per workload before the first round); "
                + "HTTP/1.1 keep-alive over loopback, " + CONNECTIONS + " connections, closed loop; load generator: " + generator
                + "; client and server share the machine's " + machine.cpus() + " CPUs. "
                + "Throughput, p50, p99 and CPU are medians over the rounds without errors; a round with any socket error or "
                + "non-2xx response is reported as failed and left out. CPU = server process utime+stime in the measured window "
                + "per request. Throughput ratio: to the faster of the two plain-Jetty baselines; CPU ratio: to the leaner one. "
                + "Helidon SE and Vert.x run the same two endpoints in their own JVMs (same heap), each on its own class path"
                + (st.notes.isEmpty() ? "." : "; " + String.join("; ", st.notes) + ".");
        return summarize(st);
    }

    /**
     * The CPU breakdown: each of {@link #PROFILED} that ran the rounds, in a fresh JVM with frame
     * pointers, warmed up and then profiled under {@code GET /hello} ({@link CpuBreakdown}).
     */
    private void runBreakdown(HttpGenerator gen, Progress progress, Machine machine, RunState st) throws InterruptedException {
        String unusable = CpuBreakdown.unusable(dir);
        List<CpuBreakdown.Result> results = new ArrayList<>();
        for (HttpServers.Server s : PROFILED) {
            String label = st.labels.getOrDefault(s.id(), s.label(Map.of()));
            progress.starting("CPU breakdown: " + label);
            CpuBreakdown.Result r;
            if (unusable != null) {
                r = CpuBreakdown.Result.missing(label, s.baseline(), unusable);
            } else if (st.failed.containsKey(s.id()) || s.id().equals("fibril-io_uring") && !machine.ioUringAvailable()) {
                r = CpuBreakdown.Result.missing(label, s.baseline(), "not measured: the server did not run the rounds");
            } else {
                r = profileOne(gen, s, label);
            }
            results.add(r);
            progress.finished(5 + 2 * breakdownSeconds(), r.measured()
                    ? Fmt.num(r.cpuMicrosPerRequest()) + " µs/req, " + Math.round(r.sharedFraction() * 100) + "% shared work" : r.note());
        }
        breakdown = results;
        breakdownNote = unusable != null ? "not run: " + unusable
                : "One profiled run of " + HttpWorkload.HELLO.label() + " per server, after the rounds, each in a fresh JVM with "
                + "-XX:+PreserveFramePointer, " + breakdownSeconds() + " s of warm-up, then " + breakdownSeconds() + " s under `perf record -a -F "
                + CpuBreakdown.HZ + " -g`, " + CONNECTIONS + " connections. Each sample goes to one category by its stack; a "
                + "category's µs/req is its share of the samples times the server's utime+stime per request over the profiled run "
                + "(frame pointers and the profiler make that a little higher than in the table above). Shared work (the kernel's TCP "
                + "sends and receives, Jetty's HTTP code and the handler) is what every Jetty connector must do: its share of plain "
                + "Jetty's CPU is the lowest CPU ratio any connector could reach on this machine. The symbols each category's samples "
                + "stopped in: http/SERVER.cpu-breakdown.txt.";
    }

    private CpuBreakdown.Result profileOne(HttpGenerator gen, HttpServers.Server s, String label) throws InterruptedException {
        Process p = null;
        try {
            HttpServers.Started started = HttpServers.start(s, dir, List.of("-XX:+PreserveFramePointer"), List.of());
            p = started.process();
            gen.run(started.base(), HttpWorkload.HELLO, CONNECTIONS, breakdownSeconds(), dir.resolve(s.id() + "-hello-profile-warmup.txt"));
            return CpuBreakdown.profile(label, s.baseline(), p.pid(), started.base(), gen, CONNECTIONS, breakdownSeconds(), dir, s.id());
        } catch (IOException | IllegalStateException e) {
            return CpuBreakdown.Result.missing(label, s.baseline(), "failed: " + e.getMessage());
        } finally {
            if (p != null) {
                HttpServers.stop(p);
            }
        }
    }

    /**
     * Starts the server, checks both endpoints and warms it up longer than a round does, so the JIT
     * has compiled its hot path before the first measurement. Returns the progress outcome.
     */
    private String startAndWarmUp(HttpGenerator gen, HttpServers.Server s, Machine machine, RunState st) throws InterruptedException {
        if (s.id().equals("fibril-io_uring") && !machine.ioUringAvailable()) {
            st.failed.put(s.id(), "skipped: io_uring " + machine.ioUring());
            return st.failed.get(s.id());
        }
        String phase = "failed to start: ";
        try {
            HttpServers.Started started = HttpServers.start(s, dir, List.of());
            st.processes.put(s.id(), started.process());
            URI base = started.base();
            st.bases.put(s.id(), base);
            st.labels.put(s.id(), s.label(started.words()));
            checkTransport(s, started, machine, st);
            check(base);
            phase = "failed in warm-up: ";
            for (HttpWorkload w : HttpWorkload.values()) {
                gen.run(base, w, CONNECTIONS, profile.httpFirstWarmupSeconds(), dir.resolve(s.id() + "-" + w.id() + "-start-warmup.txt"));
            }
            return "warmed up";
        } catch (IOException | IllegalStateException e) { // IllegalStateException: a peer's class path is missing
            st.failed.put(s.id(), phase + e.getMessage());
            return st.failed.get(s.id());
        }
    }

    /** One measured round of one server under one workload; returns the progress outcome. */
    private String measureRound(HttpGenerator gen, HttpServers.Server s, HttpWorkload w, int round, RunState st) throws InterruptedException {
        if (st.failed.containsKey(s.id())) {
            return st.failed.get(s.id());
        }
        String key = s.id() + "/" + w.id();
        try {
            Sample m = measure(gen, st.processes.get(s.id()), st.bases.get(s.id()), w,
                    dir.resolve(s.id() + "-" + w.id() + "-round" + round + ".txt"));
            if (m.run().failed()) {
                st.roundFailures.computeIfAbsent(key, k -> new ArrayList<>()).add("round " + round + ": " + m.run().failure());
                return "round failed: " + m.run().failure();
            }
            st.samples.computeIfAbsent(key, k -> new ArrayList<>()).add(m);
            return Fmt.num(m.run().requestsPerSecond()) + " req/s, p99 " + Fmt.num(m.run().p99Micros())
                    + " µs, CPU " + Fmt.num(m.cpuSeconds() * 1e6 / m.run().requests()) + " µs/req";
        } catch (IOException e) {
            st.failed.put(s.id(), "failed: " + e.getMessage());
            return st.failed.get(s.id());
        }
    }

    private Sample measure(HttpGenerator gen, Process p, URI base, HttpWorkload w, Path raw) throws IOException, InterruptedException {
        gen.run(base, w, CONNECTIONS, profile.httpWarmupSeconds(), raw.resolveSibling(raw.getFileName().toString().replace(".txt", "-warmup.txt")));
        long before = EchoLoad.cpuTicks(p.pid());
        HttpRun r = gen.run(base, w, CONNECTIONS, profile.httpSeconds(), raw);
        long after = EchoLoad.cpuTicks(p.pid());
        return new Sample(r, (after - before) / EchoLoad.CLOCK_TICKS_PER_SECOND);
    }

    private static List<HttpResult> summarize(RunState st) {
        Map<String, List<Sample>> samples = st.samples;
        Map<String, List<String>> roundFailures = st.roundFailures;
        Map<String, String> failed = st.failed;
        List<HttpResult> results = new ArrayList<>();
        for (HttpWorkload w : HttpWorkload.values()) {
            for (HttpServers.Server s : SERVERS) {
                String key = s.id() + "/" + w.id();
                String label = st.labels.getOrDefault(s.id(), s.label(Map.of()));
                List<Sample> list = samples.getOrDefault(key, List.of());
                String failures = String.join("; ", roundFailures.getOrDefault(key, List.of()));
                if (list.isEmpty()) {
                    String why = failed.containsKey(s.id()) ? failed.get(s.id()) : failures.isEmpty() ? "not measured" : "every round failed: " + failures;
                    results.add(HttpResult.missing(label, s.baseline(), w, why));
                    continue;
                }
                double[] rps = list.stream().mapToDouble(m -> m.run().requestsPerSecond()).toArray();
                double[] p50 = list.stream().mapToDouble(m -> m.run().p50Micros()).toArray();
                double[] p99 = list.stream().mapToDouble(m -> m.run().p99Micros()).toArray();
                double[] cpu = list.stream().mapToDouble(m -> m.cpuSeconds() * 1e6 / m.run().requests()).toArray();
                String note = failures.isEmpty() ? "" : "failed and left out: " + failures;
                if (failed.containsKey(s.id())) {
                    note = (note.isEmpty() ? "" : note + "; ") + "later " + failed.get(s.id());
                }
                results.add(new HttpResult(label, s.baseline(), w, list.size(), EchoLoad.median(rps),
                        Arrays.stream(rps).min().orElse(Double.NaN), Arrays.stream(rps).max().orElse(Double.NaN),
                        EchoLoad.median(p50), EchoLoad.median(p99), EchoLoad.median(cpu), note));
            }
        }
        return results;
    }

    /**
     * A peer that announces io_uring must hold io_uring instances; one that fell back to NIO (the
     * kernel or its limits refuse io_uring) runs anyway, and the report's note says why.
     */
    private static void checkTransport(HttpServers.Server s, HttpServers.Started started, Machine machine, RunState st) throws IOException {
        String transport = started.words().get("transport");
        if (transport == null) {
            return;
        }
        if (transport.equals("io_uring") && HttpServers.ioUringRings(started.process().pid()) == 0) {
            throw new IOException("announced transport=io_uring but holds no io_uring instance");
        }
        if (!transport.equals("io_uring")) {
            st.notes.add(st.labels.get(s.id()) + " runs on " + transport + ", not io_uring (io_uring " + machine.ioUring()
                    + "; Netty said: " + started.words().getOrDefault("fallback", "nothing").replace('_', ' ') + ")");
        }
    }

    /** The servers must answer right before their speed means anything: wrk does not look at bodies. */
    static void check(URI base) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            for (HttpWorkload w : HttpWorkload.values()) {
                HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(w.path())).timeout(Duration.ofSeconds(10));
                if (w.bodyBytes() > 0) {
                    req.header("Content-Type", "application/octet-stream")
                            .method(w.method(), HttpRequest.BodyPublishers.ofByteArray(w.body()));
                } else {
                    req.method(w.method(), HttpRequest.BodyPublishers.noBody());
                }
                HttpResponse<byte[]> res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
                byte[] want = w.expectedResponse();
                if (res.statusCode() != 200 || !Arrays.equals(res.body(), want)) {
                    throw new IOException(w.method() + " /" + w.path() + " answered " + res.statusCode() + " with "
                            + res.body().length + " bytes, not 200 with the expected " + want.length);
                }
            }
        }
    }
}
