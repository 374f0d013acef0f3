/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Where a server's CPU goes per request: one profiled run of {@code GET /hello} per server under
 * Linux {@code perf} (call graphs; the server's JVM with frame pointers, and a perf map of its
 * compiled code written before it stops). Each sample goes to one {@link Category} by its stack, and
 * each category's share of the samples times the server's CPU per request (utime+stime over the same
 * run) gives its microseconds per request. Two of them are work that every Jetty connector must do,
 * whatever it is built on: the kernel's TCP sends and receives, and Jetty's HTTP code with the
 * handler. Their sum on plain Jetty bounds how far below plain Jetty's CPU any connector can go.
 *
 * <p>A separate pass after the measured rounds, in fresh JVMs, so the frame pointers and the profiler
 * never touch the table's numbers. Skipped, with the reason, where {@code perf} cannot record.
 */
final class CpuBreakdown {
    static final int HZ = 999;
    /** Plain Jetty's transport: what the Fibril connector replaces. */
    private static final Pattern JETTY_TRANSPORT = Pattern.compile("org\\.eclipse\\.jetty\\.(io\\.(ManagedSelector|SelectorManager"
            + "|SocketChannelEndPoint|SelectableChannelEndPoint|ChannelEndPoint|WriteFlusher|FillInterest|IdleTimeout|AbstractEndPoint)"
            + "|util\\.thread|server\\.ServerConnector)");

    enum Category {
        TCP("kernel: TCP send and receive", true),
        WAIT("kernel: waiting and waking", false),
        IO_URING("kernel: io_uring's own work", false),
        KERNEL_OTHER("kernel: the rest (system call entry, epoll, ...)", false),
        JETTY_HTTP("Jetty's HTTP code and the handler", true),
        JETTY_TRANSPORT("Jetty's transport (selector, end point, thread pool)", false),
        FIBRIL("Fibril (runtime and connector)", false),
        JVM("JVM and the rest (GC, JIT, Loom, libc)", false);

        final String label;
        /** Work every Jetty connector must do. */
        final boolean shared;

        Category(String label, boolean shared) {
            this.label = label;
            this.shared = shared;
        }
    }

    /**
     * One server's breakdown.
     *
     * @param cpuMicrosPerRequest utime+stime over the profiled run, per request
     * @param note                why it is missing, else empty
     */
    record Result(String server, boolean baseline, long requests, double cpuMicrosPerRequest, int samples,
                  Map<Category, Integer> counts, String note) {
        boolean measured() {
            return note.isEmpty();
        }

        double micros(Category c) {
            return samples == 0 ? 0 : cpuMicrosPerRequest * counts.getOrDefault(c, 0) / samples;
        }

        /** The share of this server's CPU that every Jetty connector must spend too. */
        double sharedFraction() {
            int shared = 0;
            for (Category c : Category.values()) {
                shared += c.shared ? counts.getOrDefault(c, 0) : 0;
            }
            return samples == 0 ? 0 : (double) shared / samples;
        }

        static Result missing(String server, boolean baseline, String why) {
            return new Result(server, baseline, 0, 0, 0, Map.of(), why);
        }
    }

    private CpuBreakdown() {
    }

    /** Null if {@code perf record} works here system-wide, with call graphs and kernel samples; else why not. */
    static String unusable(Path dir) throws InterruptedException {
        Path data = dir.resolve("perf-check.data");
        try {
            Process p = new ProcessBuilder("perf", "record", "-q", "-a", "-g", "-o", data.toString(), "--", "true")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "perf record did not finish";
            }
            return p.exitValue() == 0 ? null : "perf record failed: " + out.lines().findFirst().orElse("exit " + p.exitValue());
        } catch (IOException e) {
            return "perf is not installed (" + e.getMessage() + ")";
        } finally {
            try {
                Files.deleteIfExists(data);
            } catch (IOException e) {
                // a leftover in the run's own folder
            }
        }
    }

    /**
     * Profiles {@code pid} (a server at {@code base}, warmed up) for {@code seconds} of {@code GET /hello}
     * from {@code gen}, then writes the JVM's perf map; the server must still run.
     */
    static Result profile(String label, boolean baseline, long pid, URI base, HttpGenerator gen, int connections, int seconds, Path dir,
                          String id) throws IOException, InterruptedException {
        Path data = dir.resolve(id + ".perf.data");
        // System-wide, the server's samples picked out afterwards: a thread the server starts during
        // the run (a spare that takes over a held carrier) is seen too, which -p PID may miss.
        Process perf = new ProcessBuilder("perf", "record", "-q", "-F", Integer.toString(HZ), "-g", "-a",
                "-o", data.toString(), "--", "sleep", Integer.toString(seconds))
                .redirectErrorStream(true).redirectOutput(dir.resolve(id + ".perf-record.log").toFile()).start();
        long before = EchoLoad.cpuTicks(pid);
        HttpRun r = gen.run(base, HttpWorkload.HELLO, connections, seconds, dir.resolve(id + "-hello-profiled.txt"));
        long after = EchoLoad.cpuTicks(pid);
        if (!perf.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            perf.destroyForcibly();
            return Result.missing(label, baseline, "perf record did not finish");
        }
        if (r.failed()) {
            return Result.missing(label, baseline, "the profiled run failed: " + r.failure());
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        Path jcmd = Path.of(java).resolveSibling("jcmd");
        Process map = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Compiler.perfmap").redirectErrorStream(true)
                .redirectOutput(dir.resolve(id + ".perfmap.log").toFile()).start();
        map.waitFor(30, TimeUnit.SECONDS);
        Map<Category, Integer> counts = new EnumMap<>(Category.class);
        Map<Category, Map<String, Integer>> leaves = new EnumMap<>(Category.class);
        int samples = classify(data, pid, counts, leaves);
        Files.deleteIfExists(Path.of("/tmp", "perf-" + pid + ".map"));
        Files.deleteIfExists(data);
        writeLeaves(dir.resolve(id + ".cpu-breakdown.txt"), label, samples, leaves);
        double cpuMicros = (after - before) / EchoLoad.CLOCK_TICKS_PER_SECOND * 1e6 / r.requests();
        return samples == 0 ? Result.missing(label, baseline, "perf recorded no sample")
                : new Result(label, baseline, r.requests(), cpuMicros, samples, counts, "");
    }

    /** Reads {@code perf script}'s stacks from {@code data} into {@code counts} and their leaves; returns the samples. */
    private static int classify(Path data, long pid, Map<Category, Integer> counts, Map<Category, Map<String, Integer>> leaves)
            throws IOException, InterruptedException {
        Process script = new ProcessBuilder("perf", "script", "-i", data.toString(), "--pid", Long.toString(pid))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int samples = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
            List<String[]> stack = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    if (!stack.isEmpty()) {
                        count(stack, counts, leaves);
                        samples++;
                        stack.clear();
                    }
                } else if (Character.isWhitespace(line.charAt(0))) {
                    stack.add(frame(line.strip()));
                }
            }
            if (!stack.isEmpty()) {
                count(stack, counts, leaves);
                samples++;
            }
        }
        script.waitFor(60, TimeUnit.SECONDS);
        return samples;
    }

    private static void count(List<String[]> stack, Map<Category, Integer> counts, Map<Category, Map<String, Integer>> leaves) {
        Category c = category(stack);
        counts.merge(c, 1, Integer::sum);
        leaves.computeIfAbsent(c, k -> new java.util.HashMap<>()).merge(stack.get(0)[0], 1, Integer::sum);
    }

    /** The symbols the samples of each category stopped in, most first: what to look at next. */
    private static void writeLeaves(Path file, String label, int samples, Map<Category, Map<String, Integer>> leaves) throws IOException {
        StringBuilder s = new StringBuilder(label).append(": ").append(samples).append(" samples; the top symbols each category's samples stopped in\n");
        leaves.forEach((c, m) -> {
            int all = m.values().stream().mapToInt(Integer::intValue).sum();
            s.append('\n').append(c.label).append(String.format(" (%.1f%%)%n", 100.0 * all / samples));
            m.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(15)
                    .forEach(e -> s.append(String.format("  %5.1f%%  %s%n", 100.0 * e.getValue() / samples, e.getKey())));
        });
        Files.writeString(file, s);
    }

    /** {@code ADDRESS SYMBOL+OFFSET (DSO)} as {symbol, dso}. */
    static String[] frame(String line) {
        int space = line.indexOf(' ');
        int dso = line.lastIndexOf(" (");
        if (space < 0 || dso <= space) {
            return new String[] {line, ""};
        }
        String sym = line.substring(space + 1, dso);
        int plus = sym.lastIndexOf("+0x");
        return new String[] {plus > 0 ? sym.substring(0, plus) : sym, line.substring(dso + 2, line.length() - 1)};
    }

    /** One sample's category, from its stack (leaf first). */
    static Category category(List<String[]> stack) {
        if (stack.get(0)[1].contains("kernel")) {
            Category c = Category.KERNEL_OTHER;
            for (String[] f : stack) {
                if (!f[1].contains("kernel")) {
                    break;
                }
                String s = f[0];
                if (s.startsWith("tcp_sendmsg") || s.startsWith("tcp_recvmsg")) {
                    return Category.TCP;
                }
                if (c == Category.KERNEL_OTHER && (s.startsWith("io_cqring_wait") || s.equals("schedule") || s.startsWith("futex_")
                        || s.contains("epoll_wait"))) {
                    c = Category.WAIT;
                } else if (c == Category.KERNEL_OTHER && (s.startsWith("io_") || s.contains("io_uring"))) {
                    c = Category.IO_URING;
                }
            }
            return c;
        }
        for (String[] f : stack) {
            String s = f[0];
            if (s.contains("dev.fibril.jetty.demo.")) {
                return Category.JETTY_HTTP; // the demo's handlers: the same on every server
            }
            if (s.contains("org.eclipse.jetty.")) {
                return JETTY_TRANSPORT.matcher(s).find() ? Category.JETTY_TRANSPORT : Category.JETTY_HTTP;
            }
            if (s.contains("dev.fibril.")) {
                return Category.FIBRIL;
            }
        }
        return Category.JVM;
    }
}
