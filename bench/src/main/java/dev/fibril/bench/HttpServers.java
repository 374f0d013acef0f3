/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.jetty.demo.DemoServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * The HTTP servers of the load families, each started in its own JVM: the demo server (fibril-demo)
 * in four configurations, and the peers, other servers with the same {@code /hello} and
 * {@code /echo} ({@link HelidonPeer}, {@link VertxPeer}) on their own class path. A server prints
 * one announce line with its base URL and {@code key=value} words, checked against what was asked.
 */
final class HttpServers {
    static final Pattern ANNOUNCE = Pattern.compile("^(?:Fibril serve:|" + Pattern.quote(Peers.ANNOUNCE) + ") (http://\\S+/)\\s*(.*)$");

    /**
     * A server configuration.
     *
     * @param main   the main class: the demo server, or a peer
     * @param peer   the peer's class path name ({@link Peers#classpath}), null for the demo server
     * @param label  the report's name; {@code {version}} and {@code {transport}} take the announced words
     * @param expect words the announce line must hold
     */
    record Server(String id, String label, boolean baseline, String main, String peer, List<String> args, List<String> expect) {
        static Server demo(String id, String label, boolean baseline, List<String> args, List<String> expect) {
            return new Server(id, label, baseline, DemoServer.class.getName(), null, args, expect);
        }

        /** The label with the announced version and transport in place (or without them, when unknown). */
        String label(Map<String, String> words) {
            return label.replace("{version}", words.getOrDefault("version", "")).replace("{transport}", words.getOrDefault("transport", "?"))
                    .replace("  ", " ").replace(" ,", ",");
        }
    }

    static final Server FIBRIL_IO_URING = Server.demo("fibril-io_uring", "Jetty 12.1 + FibrilConnector, io_uring", false,
            List.of("--connector", "fibril", "--backend", "io_uring"), List.of("connector=fibril", "backend=io_uring"));
    static final Server FIBRIL_EPOLL = Server.demo("fibril-epoll", "Jetty 12.1 + FibrilConnector, epoll", false,
            List.of("--connector", "fibril", "--backend", "epoll"), List.of("connector=fibril", "backend=epoll"));
    static final Server SERVER_QUEUED = Server.demo("server-queued", "Jetty ServerConnector + QueuedThreadPool", true,
            List.of("--connector", "server", "--pool", "queued"), List.of("connector=server", "pool=queued"));
    static final Server SERVER_VIRTUAL = Server.demo("server-virtual", "Jetty ServerConnector + VirtualThreadPool", true,
            List.of("--connector", "server", "--pool", "virtual"), List.of("connector=server", "pool=virtual"));
    static final Server HELIDON = new Server("helidon", "Helidon SE {version} (Níma, virtual threads)", false,
            HelidonPeer.class.getName(), "helidon", List.of(), List.of("server=helidon"));
    static final Server VERTX = new Server("vertx", "Vert.x {version} HttpServer, Netty {transport}", false,
            VertxPeer.class.getName(), "vertx", List.of(), List.of("server=vertx"));

    /** A server that announced itself: its process, base URL and announce words. */
    record Started(Process process, URI base, Map<String, String> words) {
    }

    private HttpServers() {
    }

    /**
     * Starts {@code s} with {@code extra} arguments after its own, waits for its announce line and
     * checks it; the server's output goes to {@code dir/ID.server-std{out,err}.log}.
     */
    static Started start(Server s, Path dir, List<String> extra) throws IOException, InterruptedException {
        return start(s, dir, List.of(), extra);
    }

    /** As {@link #start(Server, Path, List)}, with {@code jvm} options before the main class. */
    static Started start(Server s, Path dir, List<String> jvm, List<String> extra) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        if (s.peer() != null) {
            cp = Peers.classpath(s.peer()) + File.pathSeparator + cp; // the peer's jars first
        }
        List<String> cmd = new ArrayList<>(List.of(java, "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch"));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", cp, s.main()));
        if (s.peer() == null) {
            // Micrometer's per-request timers cost every server the same; they would only blur the connectors.
            cmd.addAll(List.of("--host", "127.0.0.1", "--port", "0", "--no-request-timing"));
        }
        cmd.addAll(s.args());
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve(s.id() + ".server-stderr.log").toFile()).start();
        try {
            return awaitAnnounce(p, s, dir);
        } catch (IOException | RuntimeException e) {
            stop(p);
            throw e;
        }
    }

    /**
     * Reads the server's announce line, checks it runs the configuration asked for, and keeps copying
     * the rest of its standard output to a file so it never blocks on a full pipe.
     */
    private static Started awaitAnnounce(Process p, Server s, Path dir) throws IOException, InterruptedException {
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
        return new Started(p, URI.create(m.group(1)), words(m.group(2)));
    }

    /** The {@code key=value} words of an announce line, in order; other words are left out. */
    static Map<String, String> words(String text) {
        Map<String, String> w = new LinkedHashMap<>();
        for (String word : text.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                w.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return w;
    }

    /** How many io_uring instances the process holds open ({@code anon_inode:[io_uring]} in /proc/PID/fd). */
    static int ioUringRings(long pid) throws IOException {
        int n = 0;
        try (var fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals("anon_inode:[io_uring]")) {
                        n++;
                    }
                } catch (IOException e) {
                    // closed while listed
                }
            }
        }
        return n;
    }

    /** SIGTERM, so the server stops gracefully; killed if it has not gone in 10 s. */
    static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
