package dev.fibril.bench;

import dev.fibril.jetty.demo.DemoServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP comparison: the demo server (fibril-demo) in four configurations, each in its own JVM with
 * the same handlers, loaded by wrk (or the Java client) over loopback HTTP/1.1 keep-alive in
 * interleaved rounds, measuring throughput, latency and the server process's CPU time per request.
 * Ratios are taken against the better of the two plain-Jetty servers in the same run.
 */
final class HttpLoad {
    static final int CONNECTIONS = 100;
    private static final Pattern ANNOUNCE = Pattern.compile("^Fibril serve: (http://\\S+/)\\s*(.*)$");

    /** A server configuration: its demo-server options, and what its announce line must say. */
    record Server(String id, String label, boolean baseline, List<String> args, List<String> expect) {
    }

    static final List<Server> SERVERS = List.of(
            new Server("fibril-io_uring", "Jetty 12.1 + FibrilConnector, io_uring", false,
                    List.of("--connector", "fibril", "--backend", "io_uring"), List.of("connector=fibril", "backend=io_uring")),
            new Server("fibril-epoll", "Jetty 12.1 + FibrilConnector, epoll", false,
                    List.of("--connector", "fibril", "--backend", "epoll"), List.of("connector=fibril", "backend=epoll")),
            new Server("server-queued", "Jetty ServerConnector + QueuedThreadPool", true,
                    List.of("--connector", "server", "--pool", "queued"), List.of("connector=server", "pool=queued")),
            new Server("server-virtual", "Jetty ServerConnector + VirtualThreadPool", true,
                    List.of("--connector", "server", "--pool", "virtual"), List.of("connector=server", "pool=virtual")));

    private final Profile profile;
    private final Path dir;
    private final boolean javaClientOnly;
    private String note = "";
    private String generator = "";

    /**
     * @param javaClientOnly use the Java client even where wrk is or could be installed
     */
    HttpLoad(Profile profile, Path out, boolean javaClientOnly) {
        this.profile = profile;
        this.dir = out.resolve("http");
        this.javaClientOnly = javaClientOnly;
    }

    int steps() {
        return SERVERS.size() + profile.httpRounds() * HttpWorkload.values().length * SERVERS.size();
    }

    /** A server's JVM start (heap pre-touch, Jetty start) and its first warm-up. */
    private double startEstimate() {
        return 3 + HttpWorkload.values().length * (profile.httpFirstWarmupSeconds() + 0.5);
    }

    double estimateSeconds() {
        return SERVERS.size() * startEstimate()
                + profile.httpRounds() * HttpWorkload.values().length * SERVERS.size()
                * (profile.httpWarmupSeconds() + profile.httpSeconds() + 1.0);
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
            for (Server s : SERVERS) {
                progress.starting("HTTP start and warm-up: " + s.label());
                progress.finished(startEstimate(), startAndWarmUp(gen, s, machine, st));
            }
            for (int round = 1; round <= profile.httpRounds(); round++) {
                for (HttpWorkload w : HttpWorkload.values()) {
                    for (Server s : SERVERS) {
                        progress.starting("HTTP round " + round + ": " + s.label() + ", " + w.label());
                        progress.finished(profile.httpWarmupSeconds() + profile.httpSeconds() + 1.0, measureRound(gen, s, w, round, st));
                    }
                }
            }
        } finally {
            for (Process p : st.processes.values()) {
                stop(p);
            }
        }
        note = profile.httpRounds() + " interleaved round(s) of " + profile.httpSeconds() + " s measured per server and workload, each after a "
                + profile.httpWarmupSeconds() + " s warm-up run (and " + profile.httpFirstWarmupSeconds() + " s per workload before the first round); "
                + "HTTP/1.1 keep-alive over loopback, " + CONNECTIONS + " connections, closed loop; load generator: " + generator
                + "; client and server share the machine's " + machine.cpus() + " CPUs. "
                + "Throughput, p50, p99 and CPU are medians over the rounds without errors; a round with any socket error or "
                + "non-2xx response is reported as failed and left out. CPU = server process utime+stime in the measured window "
                + "per request. Throughput ratio: to the faster of the two plain-Jetty baselines; CPU ratio: to the leaner one.";
        return summarize(st);
    }

    /**
     * Starts the server, checks both endpoints and warms it up longer than a round does, so the JIT
     * has compiled its hot path before the first measurement. Returns the progress outcome.
     */
    private String startAndWarmUp(HttpGenerator gen, Server s, Machine machine, RunState st) throws InterruptedException {
        if (s.id().equals("fibril-io_uring") && !machine.ioUringAvailable()) {
            st.failed.put(s.id(), "skipped: io_uring " + machine.ioUring());
            return st.failed.get(s.id());
        }
        String phase = "failed to start: ";
        try {
            Process p = start(s);
            st.processes.put(s.id(), p);
            URI base = awaitAnnounce(p, s);
            st.bases.put(s.id(), base);
            check(base);
            phase = "failed in warm-up: ";
            for (HttpWorkload w : HttpWorkload.values()) {
                gen.run(base, w, CONNECTIONS, profile.httpFirstWarmupSeconds(), dir.resolve(s.id() + "-" + w.id() + "-start-warmup.txt"));
            }
            return "warmed up";
        } catch (IOException e) {
            st.failed.put(s.id(), phase + e.getMessage());
            return st.failed.get(s.id());
        }
    }

    /** One measured round of one server under one workload; returns the progress outcome. */
    private String measureRound(HttpGenerator gen, Server s, HttpWorkload w, int round, RunState st) throws InterruptedException {
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
            for (Server s : SERVERS) {
                String key = s.id() + "/" + w.id();
                List<Sample> list = samples.getOrDefault(key, List.of());
                String failures = String.join("; ", roundFailures.getOrDefault(key, List.of()));
                if (list.isEmpty()) {
                    String why = failed.containsKey(s.id()) ? failed.get(s.id()) : failures.isEmpty() ? "not measured" : "every round failed: " + failures;
                    results.add(HttpResult.missing(s.label(), s.baseline(), w, why));
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
                results.add(new HttpResult(s.label(), s.baseline(), w, list.size(), EchoLoad.median(rps),
                        Arrays.stream(rps).min().orElse(Double.NaN), Arrays.stream(rps).max().orElse(Double.NaN),
                        EchoLoad.median(p50), EchoLoad.median(p99), EchoLoad.median(cpu), note));
            }
        }
        return results;
    }

    private Process start(Server s) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch",
                "-cp", System.getProperty("java.class.path"), DemoServer.class.getName(), "--host", "127.0.0.1", "--port", "0",
                // Micrometer's per-request timers cost every server the same; they would only blur the connectors.
                "--no-request-timing"));
        cmd.addAll(s.args());
        return new ProcessBuilder(cmd).redirectError(dir.resolve(s.id() + ".server-stderr.log").toFile()).start();
    }

    /**
     * Reads the server's announce line, checks it runs the configuration asked for, and keeps copying
     * the rest of its standard output to a file so it never blocks on a full pipe.
     */
    private URI awaitAnnounce(Process p, Server s) throws IOException, InterruptedException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = new CompletableFuture<>();
        Path stdout = dir.resolve(s.id() + ".server-stdout.log");
        Thread.ofPlatform().daemon().name("stdout-" + s.id()).start(() -> {
            try (OutputStream copy = Files.newOutputStream(stdout)) {
                String l;
                while ((l = r.readLine()) != null) {
                    copy.write((l + "\n").getBytes(StandardCharsets.UTF_8));
                    copy.flush();
                    if (!line.isDone() && ANNOUNCE.matcher(l).matches()) {
                        line.complete(l);
                    }
                }
            } catch (IOException e) {
                // the server is gone: its exit is reported below or by the next run
            }
            line.complete(null);
        });
        String announce;
        try {
            announce = line.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("no announce line within 60 s (see " + stdout.getFileName() + ")");
        }
        if (announce == null) {
            p.waitFor(5, TimeUnit.SECONDS);
            throw new IOException("server exited before it announced its address (exit "
                    + (p.isAlive() ? "?" : p.exitValue()) + ", see " + s.id() + ".server-stderr.log)");
        }
        Matcher m = ANNOUNCE.matcher(announce);
        m.matches();
        for (String want : s.expect()) {
            if (!(" " + m.group(2) + " ").contains(" " + want + " ")) {
                throw new IOException("asked for " + want + " but the server announced: " + announce);
            }
        }
        return URI.create(m.group(1));
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

    /** SIGTERM, so the server stops gracefully; killed if it has not gone in 10 s. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
