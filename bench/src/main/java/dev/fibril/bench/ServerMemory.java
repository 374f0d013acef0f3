/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server process's memory as the idle-connections family reads it: its resident set from
 * {@code /proc/PID/status}, its live Java heap from {@code jcmd PID GC.class_histogram} (which runs a
 * full collection first, so the RSS read right after is the collected process's), and its open
 * sockets from {@code /proc/PID/fd}.
 *
 * @param rssKiB      VmRSS, KiB
 * @param liveHeapKiB bytes of live objects after a full GC, in KiB
 * @param sockets     socket descriptors the process holds
 */
record ServerMemory(long rssKiB, long liveHeapKiB, int sockets) {
    private static final Pattern VM_RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB$");
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

    /**
     * Collects {@code pid}'s heap (with jcmd, from this JVM's JDK), gives the C heap's free memory
     * back to the kernel ({@code System.trim_native_heap}: glibc keeps what was freed, such as the
     * JIT's arenas of a compilation that ran meanwhile, which made rounds of one server differ by
     * 2 KiB per connection), then reads its RSS and sockets.
     */
    static ServerMemory afterGc(long pid) throws IOException, InterruptedException {
        long liveBytes = histogramTotalBytes(jcmd(pid, "GC.class_histogram"));
        jcmd(pid, "System.trim_native_heap");
        return new ServerMemory(vmRssKiB(Files.readString(Path.of("/proc", Long.toString(pid), "status"))), liveBytes / 1024, sockets(pid));
    }

    /** The VmRSS line of a {@code /proc/PID/status} text, in KiB. */
    static long vmRssKiB(String status) {
        Matcher m = VM_RSS.matcher(status);
        if (!m.find()) {
            throw new IllegalArgumentException("no 'VmRSS: N kB' line in the process status");
        }
        return Long.parseLong(m.group(1));
    }

    /** The bytes of the "Total" line that ends a class histogram ({@code Total  INSTANCES  BYTES}). */
    static long histogramTotalBytes(String histogram) {
        Matcher m = HISTOGRAM_TOTAL.matcher(histogram);
        long bytes = -1;
        while (m.find()) {
            bytes = Long.parseLong(m.group(2)); // the last one: nothing else should match, but be sure
        }
        if (bytes < 0) {
            String start = histogram.strip();
            throw new IllegalArgumentException("no 'Total INSTANCES BYTES' line in jcmd's class histogram: '"
                    + (start.length() > 200 ? start.substring(0, 200) + "…" : start) + "'");
        }
        return bytes;
    }

    /** Socket descriptors in {@code /proc/PID/fd}. */
    static int sockets(long pid) throws IOException {
        int n = 0;
        try (var fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) {
                        n++;
                    }
                } catch (IOException e) {
                    // closed while listed
                }
            }
        }
        return n;
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Path out = Files.createTempFile("fibril-jcmd", ".txt");
        try {
            // to a file, not a pipe: a jcmd that never attaches is then ended by the timeout below
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("jcmd " + pid + " " + command + " did not finish in 60 s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException("jcmd " + pid + " " + command + " exited " + p.exitValue() + ": " + text.strip());
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}

