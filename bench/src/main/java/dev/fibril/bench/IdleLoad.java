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
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The idle-connections family: what an open, silent keep-alive connection costs a server. For the
 * FibrilConnector (io_uring, epoll) and Jetty's ServerConnector (virtual and queued threads), each
 * round starts the server in a fresh JVM (so no buffer pooled by an earlier round hides the cost),
 * warms it up, reads its memory after a full GC, opens N connections with one GET each, reads it
 * again, then closes them (FIN) and waits for the server's sockets to go, then opens a few more and
 * resets them (RST) and waits again. Rounds interleave the servers.
 *
 * <p>The heap is fixed and pre-touched ({@code -Xms = -Xmx}, AlwaysPreTouch), so the RSS growth is
 * the native memory only (direct buffers, rings, thread stacks); the live heap growth, read from a
 * class histogram after the same GC, is reported beside it.
 */
final class IdleLoad {
    static final List<HttpServers.Server> SERVERS = List.of(HttpServers.FIBRIL_IO_URING, HttpServers.FIBRIL_EPOLL,
            HttpServers.SERVER_VIRTUAL, HttpServers.SERVER_QUEUED);
    static final HttpServers.Server REFERENCE = HttpServers.SERVER_VIRTUAL;
    /** Long enough that no connection times out while a round runs, short enough to say what a reset costs. */
    static final int IDLE_TIMEOUT_SECONDS = 300;
    private static final int WARM_UP_CONNECTIONS = 100;
    private static final int RESET_CONNECTIONS = 500;
    private static final Duration FREE_WAIT = Duration.ofSeconds(20);

    private final Profile profile;
    private final int connections;
    private final Path dir;
    private String note = "";

    /** @param connections idle connections per round; 0 for the profile's */
    IdleLoad(Profile profile, int connections, Path out) {
        this.profile = profile;
        this.connections = connections > 0 ? connections : profile.idleConnections();
        this.dir = out.resolve("idle");
    }

    int steps() {
        return profile.idleRounds() * SERVERS.size();
    }

    double estimateSeconds() {
        return steps() * (8 + connections / 1000.0 * 1.5);
    }

    String note() {
        return note;
    }

    /** One round of one server. {@code stall} is empty when all connections opened. */
    private record Sample(int opened, ServerMemory before, ServerMemory loaded, double closeSeconds, String stall,
                          String reset, String descriptors) {
        double rssKiBPerConn() {
            return (double) (loaded.rssKiB() - before.rssKiB()) / opened;
        }

        double heapKiBPerConn() {
            return (double) (loaded.liveHeapKiB() - before.liveHeapKiB()) / opened;
        }
    }

    List<IdleResult> run(Progress progress, Machine machine) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        Map<String, List<String>> failures = new LinkedHashMap<>();
        Path log = dir.resolve("rounds.txt");
        for (int round = 1; round <= profile.idleRounds(); round++) {
            for (HttpServers.Server s : SERVERS) {
                progress.starting("idle round " + round + ": " + s.label() + ", " + String.format(Locale.ROOT, "%,d", connections) + " connections");
                MachineLoad load = MachineLoad.now("round " + round);
                String outcome;
                if (s == HttpServers.FIBRIL_IO_URING && !machine.ioUringAvailable()) {
                    outcome = "skipped: io_uring " + machine.ioUring();
                    failures.computeIfAbsent(s.id(), k -> new ArrayList<>()).add(outcome);
                } else {
                    try {
                        Sample m = measure(s, round);
                        samples.computeIfAbsent(s.id(), k -> new ArrayList<>()).add(m);
                        outcome = describe(m);
                    } catch (IOException | RuntimeException e) {
                        outcome = "failed: " + e.getMessage();
                        failures.computeIfAbsent(s.id(), k -> new ArrayList<>()).add("round " + round + ": " + outcome);
                    }
                }
                Files.writeString(log, s.id() + " round " + round + " (" + load.format() + "): " + outcome + "\n",
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                progress.finished(8 + connections / 1000.0 * 1.5, outcome);
            }
        }
        note = String.format(Locale.ROOT, "%d interleaved round(s) per server, each in a fresh server JVM: %d warm-up connections "
                + "opened and closed, then %,d keep-alive connections opened one at a time over loopback (source addresses "
                + "127.0.0.1–127.0.0.%d), one GET /hello each, then left silent. RSS = VmRSS (/proc/PID/status), live heap = jcmd "
                + "GC.class_histogram total, both after the full GC that histogram runs and the C heap's trim (jcmd "
                + "System.trim_native_heap), before and with the connections; "
                + "the heap is fixed and pre-touched (512 MiB), so RSS growth is native memory and the two add up to the "
                + "connection's cost. Then the client closes them (FIN) and the bench waits up to %d s for the server's sockets "
                + "to go; then %d more are opened and reset (RST) and it waits again. Server idle timeout: %d s. Medians over the "
                + "rounds in which every connection opened; ratio: total KiB per connection to %s's. Client and servers share "
                + "the machine's %d CPUs; the load average of each round is in idle/rounds.txt.",
                profile.idleRounds(), WARM_UP_CONNECTIONS, connections, IdleClient.SOURCE_ADDRESSES, FREE_WAIT.toSeconds(),
                RESET_CONNECTIONS, IDLE_TIMEOUT_SECONDS, REFERENCE.label(), machine.cpus());
        return summarize(samples, failures);
    }

    private Sample measure(HttpServers.Server s, int round) throws IOException, InterruptedException {
        HttpServers.Started started = HttpServers.start(s, dir, List.of("--idle-timeout-ms", Integer.toString(IDLE_TIMEOUT_SECONDS * 1000)));
        long pid = started.process().pid();
        try (IdleClient client = new IdleClient()) {
            URI base = started.base();
            HttpLoad.check(base);
            ServerMemory empty = ServerMemory.afterGc(pid);
            if (client.open(base, WARM_UP_CONNECTIONS) < WARM_UP_CONNECTIONS) {
                throw new IOException("warm-up: " + client.stall());
            }
            client.closeAll(false);
            awaitSockets(pid, empty.sockets());
            ServerMemory before = ServerMemory.afterGc(pid);
            int opened = client.open(base, connections);
            String descriptors = s.id().startsWith("fibril") ? descriptors(base) : "";
            ServerMemory loaded = ServerMemory.afterGc(pid);
            String stall = client.stall();
            if (opened == 0) {
                throw new IOException("no connection opened: " + stall);
            }
            client.closeAll(false);
            double closeSeconds = awaitSockets(pid, before.sockets());
            String reset = resetProbe(client, base, pid, before.sockets());
            Files.writeString(dir.resolve(s.id() + "-round" + round + ".txt"), String.format(Locale.ROOT,
                    "opened %d of %d%s%nbefore: %s%nloaded: %s%nclose (FIN): %s%nreset (RST): %s%n%s%n", opened, connections,
                    stall.isEmpty() ? "" : " (" + stall + ")", before, loaded,
                    closeSeconds < 0 ? "not all freed" : Fmt.num(closeSeconds) + " s", reset, descriptors));
            return new Sample(opened, before, loaded, closeSeconds, stall, reset, descriptors);
        } finally {
            HttpServers.stop(started.process());
        }
    }

    private static String describe(Sample m) {
        String s = String.format(Locale.ROOT, "%,d open: RSS %s KiB/conn, heap %s KiB/conn", m.opened(),
                Fmt.num(m.rssKiBPerConn()), Fmt.num(m.heapKiBPerConn()));
        return m.stall().isEmpty() ? s : "stalled at " + s + " (" + m.stall() + ")";
    }

    /**
     * Waits until the server holds no more sockets than {@code baseline}; returns the seconds it
     * took, or -1 when some were still open after {@link #FREE_WAIT}.
     */
    private static double awaitSockets(long pid, int baseline) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long deadline = start + FREE_WAIT.toNanos();
        while (ServerMemory.sockets(pid) > baseline) {
            if (System.nanoTime() > deadline) {
                return -1;
            }
            Thread.sleep(50); // polling another process's /proc: nothing to wait on
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Opens connections, resets them, and says how soon the server let go of them. */
    private static String resetProbe(IdleClient client, URI base, long pid, int baseline) throws IOException, InterruptedException {
        int opened = client.open(base, RESET_CONNECTIONS);
        client.closeAll(true);
        double seconds = awaitSockets(pid, baseline);
        if (seconds >= 0) {
            return String.format(Locale.ROOT, "%d reset, freed in %s s", opened, Fmt.num(seconds));
        }
        return String.format(Locale.ROOT, "%d reset, %d still open after %d s", opened,
                ServerMemory.sockets(pid) - baseline, FREE_WAIT.toSeconds());
    }

    /** The Fibril runtime's descriptor gauges from /metrics, e.g. "descriptors in use 2003 of bound 8192, 0 waiting". */
    private static String descriptors(URI base) {
        try (HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            String body = c.send(HttpRequest.newBuilder(base.resolve("metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return "descriptors in use " + Fmt.num(gaugeSum(body, "fibril_descriptors_in_use")) + " of bound "
                    + Fmt.num(gaugeSum(body, "fibril_descriptors_bound")) + ", " + Fmt.num(gaugeSum(body, "fibril_descriptors_waiting")) + " waiting";
        } catch (IOException e) {
            return "descriptors: /metrics did not answer (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "descriptors: interrupted";
        }
    }

    /** The sum over every series of a Prometheus gauge ({@code NAME{labels} VALUE} lines). */
    static double gaugeSum(String exposition, String name) {
        double sum = 0;
        boolean found = false;
        for (String line : exposition.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? sum : Double.NaN;
    }

    private List<IdleResult> summarize(Map<String, List<Sample>> samples, Map<String, List<String>> failures) {
        List<IdleResult> results = new ArrayList<>();
        for (HttpServers.Server s : SERVERS) {
            List<Sample> all = samples.getOrDefault(s.id(), List.of());
            List<String> notes = new ArrayList<>(failures.getOrDefault(s.id(), List.of()));
            List<Sample> clean = new ArrayList<>();
            for (Sample m : all) {
                if (m.stall().isEmpty()) {
                    clean.add(m);
                } else {
                    notes.add("stalled at " + String.format(Locale.ROOT, "%,d", m.opened()) + " open connections: " + m.stall()
                            + (m.descriptors().isEmpty() ? "" : "; " + m.descriptors()));
                }
            }
            String reset = String.join("; ", all.stream().map(Sample::reset).distinct().toList());
            if (clean.isEmpty()) {
                results.add(IdleResult.missing(s.label(), s == REFERENCE, connections, reset,
                        notes.isEmpty() ? "not measured" : String.join("; ", notes)));
                continue;
            }
            double[] rss = clean.stream().mapToDouble(Sample::rssKiBPerConn).toArray();
            double[] heap = clean.stream().mapToDouble(Sample::heapKiBPerConn).toArray();
            double close = all.stream().mapToDouble(Sample::closeSeconds).anyMatch(x -> x < 0) ? -1
                    : all.stream().mapToDouble(Sample::closeSeconds).max().orElse(Double.NaN);
            results.add(new IdleResult(s.label(), s == REFERENCE, connections, clean.size(), EchoLoad.median(rss),
                    java.util.Arrays.stream(rss).min().orElse(Double.NaN), java.util.Arrays.stream(rss).max().orElse(Double.NaN),
                    EchoLoad.median(heap), close, reset, String.join("; ", notes)));
        }
        return results;
    }
}
