/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * wrk 4.1 as the HTTP load generator: found on the PATH, else installed from the distribution
 * ({@code apt-get install -y wrk} as root, {@code sudo -n apt-get ...} otherwise). Each run is one
 * wrk process with {@code --latency}; its output is kept whole in the results folder and parsed by
 * {@link WrkOutput}.
 */
final class Wrk implements HttpGenerator {
    private final Path executable;
    private final String version;

    private Wrk(Path executable, String version) {
        this.executable = executable;
        this.version = version;
    }

    /**
     * The wrk on the PATH, installing it first when it is missing and the package manager lets us;
     * null when there is still none. What the install printed goes to {@code log}.
     */
    static Wrk findOrInstall(Path log) throws InterruptedException {
        Path found = onPath();
        if (found == null) {
            install(log);
            found = onPath();
        }
        if (found == null) {
            return null;
        }
        return new Wrk(found, versionOf(found));
    }

    @Override
    public String describe() {
        return version + ", " + THREADS + " threads";
    }

    @Override
    public HttpRun run(URI base, HttpWorkload workload, int connections, int seconds, Path raw)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(executable.toString(), "--latency", "-t", Integer.toString(THREADS),
                "-c", Integer.toString(connections), "-d", seconds + "s"));
        if (workload.bodyBytes() > 0) {
            Path script = raw.resolveSibling(workload.id() + ".lua");
            if (!Files.exists(script)) {
                Files.writeString(script, luaScript(workload));
            }
            cmd.addAll(List.of("-s", script.toString()));
        }
        cmd.add(base.resolve(workload.path()).toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] text = p.getInputStream().readAllBytes();
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("wrk did not finish");
        }
        String out = new String(text, StandardCharsets.UTF_8);
        Files.writeString(raw, "$ " + String.join(" ", cmd) + "\n" + out);
        if (p.exitValue() != 0) {
            throw new IOException("wrk exited with " + p.exitValue() + ": " + out.strip());
        }
        try {
            return WrkOutput.parse(out);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage() + " (see " + raw.getFileName() + ")", e);
        }
    }

    /** The Lua script that turns wrk's GET into the workload's POST with its body and content type. */
    static String luaScript(HttpWorkload workload) {
        return "-- " + workload.label() + "\n"
                + "wrk.method = \"" + workload.method() + "\"\n"
                + "wrk.body = string.rep(\"x\", " + workload.bodyBytes() + ")\n"
                + "wrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n";
    }

    private static Path onPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "wrk");
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static void install(Path log) throws InterruptedException {
        List<String> apt = isRoot() ? List.of("apt-get") : List.of("sudo", "-n", "apt-get");
        // Try the package lists as they are, then refresh them once: a fresh machine may have none.
        for (List<String> step : List.of(List.of("install", "-y", "wrk"), List.of("update"), List.of("install", "-y", "wrk"))) {
            List<String> cmd = new ArrayList<>(apt);
            cmd.addAll(step);
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
                Process p = pb.start();
                p.getOutputStream().close();
                if (!p.waitFor(5, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    return;
                }
                if (step.get(0).equals("install") && p.exitValue() == 0) {
                    return;
                }
            } catch (IOException e) {
                return; // no apt-get or no sudo: the Java client takes over
            }
        }
    }

    private static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && uid.equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String versionOf(Path exe) {
        try {
            // wrk has no --version flag; with -v it prints "wrk 4.1.0 [epoll] Copyright ..." and exits 1.
            Process p = new ProcessBuilder(exe.toString(), "-v").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("wrk");
            p.waitFor(10, TimeUnit.SECONDS);
            int copyright = first.indexOf(" Copyright");
            return copyright > 0 ? first.substring(0, copyright) : first.strip();
        } catch (IOException e) {
            return "wrk";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "wrk";
        }
    }
}
