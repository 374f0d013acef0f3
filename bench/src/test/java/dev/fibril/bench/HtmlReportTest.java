/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTML report is well formed, self-contained, and renders in headless Chromium where installed. */
class HtmlReportTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    static Results sample() {
        Machine m = new Machine(2, "Test CPU", "Linux 6.x", "Test JVM 25", "available");
        List<Row> rows = List.of(
                new Row(Catalog.SWITCH, Catalog.SWITCH, "raw Continuation yield+run", true, 100, 5, "ns/op", 0, ""),
                new Row(Catalog.SWITCH, Catalog.SWITCH, "Fibril <park/resume> & co", false, 180, 10, "ns/op", 0.01, ""),
                new Row(Catalog.SWITCH, Catalog.SWITCH, "platform threads", false, 6400, Double.NaN, "ns/op", 12, ""),
                Row.missing(new Case(Catalog.SYSCALL, Catalog.SYSCALL, RingNopBench.class, "ringNop", java.util.Map.of(),
                        "floor", true, true), "skipped: io_uring not available"));
        List<LoadResult> loads = List.of(
                new LoadResult("JDK virtual threads", true, 64, 100, 30_000, 1000, 2000, 17_000, 66_000, 21_000, ""),
                new LoadResult("Fibril, io_uring", false, 64, 100, 58_000, 2000, 1100, 8_400, 29_000, 7_500, ""));
        List<HttpResult> http = List.of(
                new HttpResult("Jetty + FibrilConnector, io_uring", false, HttpWorkload.HELLO, 3, 90_000, 88_000, 93_000, 900, 3_000, 18, ""),
                new HttpResult("Jetty ServerConnector + QueuedThreadPool", true, HttpWorkload.HELLO, 3, 60_000, 59_000, 61_000, 1_400, 4_000, 30, ""),
                new HttpResult("Jetty ServerConnector + VirtualThreadPool", true, HttpWorkload.HELLO, 2, 50_000, 49_000, 51_000, 1_700, 5_000, 25,
                        "failed and left out: round 2: 3 non-2xx responses"),
                HttpResult.missing("Jetty + FibrilConnector, epoll", false, HttpWorkload.HELLO, "failed to start: boom"));
        List<IsolationResult> isolation = List.of(
                new IsolationResult("JDK virtual threads", true, "CPU loop", 1.1, 1.5, 12, 0.03, 0.2, 9, 900, 20_000, -1, ""),
                new IsolationResult("Fibril, hand-off on", false, "CPU loop", 1.1, 1.3, 6, 0.02, 0.1, 6, 950, 30_000, 1, ""),
                new IsolationResult("Fibril, hand-off off", false, "CPU loop", 1.1, 1002, 1002, 0.02, 0.05, 1001, 80, 2_000, 0, ""),
                IsolationResult.missing("Fibril, hand-off on", false, "java.io read", "skipped: mkfifo cannot run here"));
        List<IdleResult> idle = List.of(
                new IdleResult("Jetty + FibrilConnector, io_uring", false, 2000, 2, 17.5, 17.0, 18.0, 2.5, 0.4, "500 reset, freed in 0.2 s", ""),
                new IdleResult("Jetty ServerConnector + VirtualThreadPool", true, 2000, 2, 1.0, 0.9, 1.1, 4.0, 0.3,
                        "500 reset, 12 still open after 20 s", ""),
                IdleResult.missing("Jetty + FibrilConnector, epoll", false, 2000, "",
                        "stalled at 8,191 open connections: connection 8,192 failed (SocketTimeoutException): Read timed out"));
        return new Results(m, "test", "2026-01-01 00:00:00 +00:00 (UTC)", 12, rows, loads, "test load", http, "test http",
                "wrk 4.1.0 [epoll]", List.of(
                        new CpuBreakdown.Result("Jetty + FibrilConnector, io_uring", false, 1000, 10.0, 100,
                                java.util.Map.of(CpuBreakdown.Category.TCP, 50, CpuBreakdown.Category.FIBRIL, 50), ""),
                        CpuBreakdown.Result.missing("Jetty ServerConnector + QueuedThreadPool", true, "perf is not installed")),
                "test breakdown", isolation, "test isolation", idle, "test idle",
                List.of(new MachineLoad("before the run", 0.10, 0.20, 0.30), new MachineLoad("after the run", 1.5, 0.9, 0.4)));
    }

    @Test
    void shouldTakeTheIsolationRatioAgainstTheJdksLongestGapUnderTheSameHold() {
        Results r = sample();
        assertEquals(0.5, r.isolationRatio(r.isolation().get(1)).ratio(), 1e-9);
        assertEquals(1002.0 / 12, r.isolationRatio(r.isolation().get(2)).ratio(), 1e-9);
        assertTrue(Double.isNaN(r.isolationRatio(r.isolation().get(3)).ratio()), "no JDK row for that hold");
        String md = TextReport.markdown(r);
        assertTrue(md.contains(IsolationReport.TITLE), "the report has the isolation section");
        assertTrue(md.contains("Machine: 2 CPUs (Test CPU)"), "the isolation table names the machine");
        assertTrue(md.contains("skipped: mkfifo cannot run here"), "a skipped row says why");
    }

    @Test
    void shouldComputeRatioAndItsErrorAgainstTheGroupReference() {
        Results r = sample();
        Ratios ratio = Ratios.of(r.rows().get(1), r.rows());
        assertEquals(1.8, ratio.ratio(), 1e-9);
        assertEquals(1.8 * Math.sqrt(0.05 * 0.05 + (10.0 / 180) * (10.0 / 180)), ratio.error(), 1e-9);
        assertEquals(1.0, Ratios.of(r.rows().get(0), r.rows()).ratio());
    }

    @Test
    void shouldTakeHttpRatiosAgainstTheFasterAndTheLeanerBaseline() {
        Results r = sample();
        HttpResult fibril = r.http().get(0);
        assertEquals(90_000.0 / 60_000, r.httpThroughputRatio(fibril).ratio(), 1e-9);
        assertEquals(18.0 / 25, r.httpCpuRatio(fibril).ratio(), 1e-9);
        assertTrue(Double.isNaN(r.httpThroughputRatio(r.http().get(3)).ratio()));
        String md = TextReport.markdown(r);
        assertTrue(md.contains("round 2: 3 non-2xx responses"), "failed rounds must show in the report");
        assertTrue(md.contains("wrk 4.1.0 [epoll]"), "the report names the load generator");
    }

    @Test
    void shouldShowTheCpuBreakdownPerCategoryAndWhyAServerHasNone() {
        Results r = sample();
        for (String report : List.of(HttpReport.markdown(r), HtmlReport.render(r))) {
            assertTrue(report.contains("Where the CPU per request goes") && report.contains("test breakdown"));
            assertTrue(report.contains("kernel: TCP send and receive (shared)"), "each category has a row");
            assertTrue(report.contains("5.00"), "a category's µs/req is its share times the CPU per request");
            assertTrue(report.contains("50%"), "the shared share");
            assertTrue(report.contains("perf is not installed"), "a server without a breakdown says why");
        }
    }

    @Test
    void shouldEscapeLabelsAndNeedNoExternalResources() {
        String html = HtmlReport.render(sample());
        assertTrue(html.contains("Fibril &lt;park/resume&gt; &amp; co"));
        assertTrue(html.contains("<svg"));
        assertTrue(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"));
    }

    @Test
    void shouldRenderInHeadlessChromium(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "Chromium is not installed at " + CHROMIUM + ": cannot check rendering");
        Path page = dir.resolve("report.html");
        Files.writeString(page, HtmlReport.render(sample()));
        Process p = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + dir.resolve("profile"), "--dump-dom", page.toUri().toString())
                .redirectError(dir.resolve("chromium.log").toFile()).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "chromium did not finish");
        assertEquals(0, p.exitValue(), () -> "chromium failed: " + read(dir.resolve("chromium.log")));
        assertTrue(dom.contains("id=\"machine\""), "the DOM lacks the machine list");
        assertTrue(dom.contains("<svg") && dom.contains("<rect"), "the DOM lacks the SVG charts");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
