/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The HTTP comparison's part of the terminal table, report.md and report.html. */
final class HttpReport {
    static final String TITLE = "HTTP: Jetty 12.1 with the FibrilConnector against plain Jetty, Helidon SE and Vert.x";
    private static final int WIDTH = 900;
    private static final int LABEL = 360;

    private HttpReport() {
    }

    static String terminal(Results res) {
        StringBuilder s = new StringBuilder();
        if (res.http().isEmpty()) {
            return s.append("\nHTTP: ").append(res.httpNote()).append('\n').toString();
        }
        s.append('\n').append(TITLE).append(" (load generator: ").append(res.httpGenerator()).append(")\n");
        s.append("  throughput ratio to the faster plain-Jetty baseline (higher is better); CPU ratio to the leaner one (lower is leaner)\n");
        s.append(String.format("  %-44s %-32s %10s %17s %9s %9s %12s %10s %9s%n", "server", "workload", "req/s",
                "spread (rounds)", "p50 µs", "p99 µs", "CPU µs/req", "req/s ratio", "CPU ratio"));
        for (HttpResult h : res.http()) {
            String name = (h.baseline() ? "* " : "") + h.server();
            if (!h.measured()) {
                s.append(String.format("  %-44s %-32s %s%n", name, h.workload().label(), h.note()));
                continue;
            }
            s.append(String.format("  %-44s %-32s %10s %17s %9s %9s %12s %10s %9s%n", name, h.workload().label(),
                    Fmt.num(h.requestsPerSecond()), h.spread(), Fmt.num(h.p50Micros()), Fmt.num(h.p99Micros()),
                    Fmt.num(h.cpuMicrosPerRequest()), Fmt.ratio(res.httpThroughputRatio(h)), Fmt.ratio(res.httpCpuRatio(h))));
            if (!h.note().isEmpty()) {
                s.append("      ! ").append(h.note()).append('\n');
            }
        }
        s.append("  * = plain-Jetty baseline\n");
        if (!res.httpCpu().isEmpty()) {
            s.append("\nCPU breakdown, µs per request of GET /hello (").append(res.httpCpuNote().startsWith("not run") ? res.httpCpuNote() : "perf").append(")\n");
            for (CpuBreakdown.Result r : res.httpCpu()) {
                s.append(String.format("  %-44s %s%n", (r.baseline() ? "* " : "") + r.server(), r.measured()
                        ? Fmt.num(r.cpuMicrosPerRequest()) + " µs/req, shared work " + Math.round(r.sharedFraction() * 100) + "%" : r.note()));
            }
        }
        return s.toString();
    }

    /** The CPU breakdown: one row per category, one column per profiled server. */
    static String breakdownMarkdown(Results res) {
        StringBuilder s = new StringBuilder("\n### Where the CPU per request goes\n\n").append(res.httpCpuNote()).append('\n');
        List<CpuBreakdown.Result> rs = res.httpCpu();
        if (rs.stream().noneMatch(CpuBreakdown.Result::measured)) {
            rs.stream().filter(r -> !r.note().isEmpty()).forEach(r -> s.append("\n- ").append(r.server()).append(": ").append(r.note()));
            return s.append(rs.isEmpty() ? "" : "\n").toString();
        }
        s.append("\n| µs per request | ");
        rs.forEach(r -> s.append(r.baseline() ? "**" + r.server() + "**" : r.server()).append(" | "));
        s.append("\n| --- |").append(" ---: |".repeat(rs.size())).append('\n');
        for (CpuBreakdown.Category c : CpuBreakdown.Category.values()) {
            s.append("| ").append(c.label).append(c.shared ? " (shared)" : "").append(" | ");
            rs.forEach(r -> s.append(r.measured() ? Fmt.num(r.micros(c)) : "–").append(" | "));
            s.append('\n');
        }
        s.append("| **all (utime+stime per request)** | ");
        rs.forEach(r -> s.append(r.measured() ? Fmt.num(r.cpuMicrosPerRequest()) : r.note()).append(" | "));
        s.append("\n| shared work, share of the server's CPU | ");
        rs.forEach(r -> s.append(r.measured() ? Math.round(r.sharedFraction() * 100) + "%" : "–").append(" | "));
        s.append("\n| samples | ");
        rs.forEach(r -> s.append(r.samples()).append(" | "));
        return s.append('\n').toString();
    }

    static String markdown(Results res) {
        StringBuilder s = new StringBuilder("\n## ").append(TITLE).append("\n\n").append(res.httpNote()).append('\n');
        if (res.http().isEmpty()) {
            return s.toString();
        }
        s.append("\n| server | workload | req/s | spread (min–max) | p50 µs | p99 µs | server CPU µs/req | throughput ratio | CPU ratio |\n")
                .append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        StringBuilder notes = new StringBuilder();
        for (HttpResult h : res.http()) {
            String name = h.baseline() ? "**" + h.server() + "**" : h.server();
            if (!h.measured()) {
                s.append("| ").append(name).append(" | ").append(h.workload().label()).append(" | ").append(h.note()).append(" | | | | | | |\n");
                continue;
            }
            s.append("| ").append(name).append(" | ").append(h.workload().label()).append(" | ")
                    .append(Fmt.num(h.requestsPerSecond())).append(" | ").append(h.spread()).append(" | ")
                    .append(Fmt.num(h.p50Micros())).append(" | ").append(Fmt.num(h.p99Micros())).append(" | ")
                    .append(Fmt.num(h.cpuMicrosPerRequest())).append(" | ").append(Fmt.ratio(res.httpThroughputRatio(h))).append(" | ")
                    .append(Fmt.ratio(res.httpCpuRatio(h))).append(" |\n");
            if (!h.note().isEmpty()) {
                notes.append("- ").append(h.server()).append(", ").append(h.workload().label()).append(": ").append(h.note()).append('\n');
            }
        }
        s.append("\n**Bold**: the plain-Jetty baselines. Load generator: ").append(res.httpGenerator()).append(".\n");
        if (!notes.isEmpty()) {
            s.append("\nRounds reported as failed:\n\n").append(notes);
        }
        if (!res.httpCpu().isEmpty()) {
            s.append(breakdownMarkdown(res));
        }
        return s.toString();
    }

    static String html(Results res) {
        StringBuilder s = new StringBuilder("<h2>").append(Fmt.html(TITLE)).append("</h2>\n<p>").append(Fmt.html(res.httpNote())).append("</p>\n");
        if (res.http().isEmpty()) {
            return s.toString();
        }
        s.append("<h3>Requests per second (median; whisker: slowest to fastest round)</h3>\n").append(throughputChart(res.http()))
                .append("<h3>Server CPU time per request (µs, median)</h3>\n").append(cpuChart(res.http()))
                .append("<h3>Latency (median of the rounds' percentiles)</h3>\n").append(HtmlReport.percentileChart(res.http().stream().filter(HttpResult::measured)
                .map(h -> new HtmlReport.Percentiles(h.server() + " · " + h.workload().id(), new double[] {h.p50Micros(), h.p99Micros()}))
                .toList(), new String[] {"p50", "p99"}, "HTTP latency percentiles per server"));
        s.append("<table><tr><th>server</th><th>workload</th><th>req/s</th><th>spread (min–max)</th><th>p50 µs</th><th>p99 µs</th>"
                + "<th>server CPU µs/req</th><th>throughput ratio</th><th>CPU ratio</th><th>note</th></tr>\n");
        for (HttpResult h : res.http()) {
            s.append("<tr").append(h.baseline() ? " class=\"ref\"" : "").append("><td>").append(Fmt.html(h.server()))
                    .append("</td><td>").append(Fmt.html(h.workload().label())).append("</td>");
            if (h.measured()) {
                s.append("<td>").append(Fmt.num(h.requestsPerSecond())).append("</td><td>").append(h.spread())
                        .append("</td><td>").append(Fmt.num(h.p50Micros())).append("</td><td>").append(Fmt.num(h.p99Micros()))
                        .append("</td><td>").append(Fmt.num(h.cpuMicrosPerRequest())).append("</td><td>")
                        .append(Fmt.ratio(res.httpThroughputRatio(h))).append("</td><td>").append(Fmt.ratio(res.httpCpuRatio(h)))
                        .append("</td><td>").append(Fmt.html(h.note())).append("</td></tr>\n");
            } else {
                s.append("<td colspan=\"8\">").append(Fmt.html(h.note())).append("</td></tr>\n");
            }
        }
        s.append("</table>\n<p>Bold rows: the plain-Jetty baselines. Load generator: ")
                .append(Fmt.html(res.httpGenerator())).append(".</p>\n");
        return res.httpCpu().isEmpty() ? s.toString() : s.append(breakdownHtml(res)).toString();
    }

    /** The CPU breakdown as an HTML table: one row per category, one column per profiled server. */
    static String breakdownHtml(Results res) {
        StringBuilder s = new StringBuilder("<h3>Where the CPU per request goes</h3>\n<p>").append(Fmt.html(res.httpCpuNote())).append("</p>\n");
        List<CpuBreakdown.Result> rs = res.httpCpu();
        s.append("<table><tr><th>µs per request</th>");
        rs.forEach(r -> s.append("<th>").append(Fmt.html(r.server())).append("</th>"));
        s.append("</tr>\n");
        for (CpuBreakdown.Category c : CpuBreakdown.Category.values()) {
            s.append("<tr><td>").append(Fmt.html(c.label + (c.shared ? " (shared)" : ""))).append("</td>");
            rs.forEach(r -> s.append("<td>").append(r.measured() ? Fmt.num(r.micros(c)) : "–").append("</td>"));
            s.append("</tr>\n");
        }
        s.append("<tr><td>all (utime+stime per request)</td>");
        rs.forEach(r -> s.append("<td>").append(r.measured() ? Fmt.num(r.cpuMicrosPerRequest()) : Fmt.html(r.note())).append("</td>"));
        s.append("</tr>\n<tr><td>shared work, share of the server's CPU</td>");
        rs.forEach(r -> s.append("<td>").append(r.measured() ? Math.round(r.sharedFraction() * 100) + "%" : "–").append("</td>"));
        return s.append("</tr>\n</table>\n").toString();
    }

    /** Requests per second on a linear axis, one bar per server and workload, the rounds' min–max as a whisker. */
    static String throughputChart(List<HttpResult> rows) {
        return barChart(rows, HttpResult::requestsPerSecond, HttpResult::requestsPerSecondMin, HttpResult::requestsPerSecondMax,
                "req/s", "higher is better", "HTTP requests per second per server");
    }

    /** Server CPU per request on a linear axis (medians over the rounds). */
    static String cpuChart(List<HttpResult> rows) {
        return barChart(rows, HttpResult::cpuMicrosPerRequest, null, null, "CPU µs/req", "lower is better", "server CPU time per request");
    }

    private static String barChart(List<HttpResult> rows, ToDoubleFunction<HttpResult> value, ToDoubleFunction<HttpResult> low,
                                   ToDoubleFunction<HttpResult> high, String unit, String better, String ariaLabel) {
        List<HttpResult> measured = rows.stream().filter(HttpResult::measured).toList();
        if (measured.isEmpty()) {
            return "";
        }
        ToDoubleFunction<HttpResult> top = high != null ? high : value;
        double max = measured.stream().mapToDouble(top).max().orElse(1);
        double step = Math.pow(10, Math.floor(Math.log10(max)));
        double end = Math.ceil(max / step) * step;
        if (end / step < 4) {
            step /= 2; // at least four grid lines
        }
        int bar = 22;
        int height = 30 + rows.size() * (bar + 6) + 24;
        int x1 = HtmlReport.AXIS_END;
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s, %s\">\n",
                WIDTH, height, Fmt.html(ariaLabel), Fmt.html(better)));
        s.append(HtmlReport.caption(unit, better));
        s.append(String.format(Locale.ROOT, "<text class=\"unit\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
                LABEL - 24, height - 6, Fmt.html(unit)));
        for (double t = 0; t <= end * 1.0001; t += step) {
            double x = LABEL + t / end * (x1 - LABEL);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>", x, x, height - 20))
                    .append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                            x, height - 6, t == 0 ? "0" : Fmt.num(t)));
        }
        int y = 24;
        for (HttpResult h : rows) {
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\"%s>%s</text>\n", LABEL - 6, y + bar / 2 + 4,
                    h.baseline() ? " font-weight=\"bold\"" : "", Fmt.html(h.server() + " · " + h.workload().id())));
            if (h.measured()) {
                double v = value.applyAsDouble(h);
                double x = LABEL + v / end * (x1 - LABEL);
                double labelAt = x;
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s %s</title></rect>\n",
                        LABEL, y, Math.max(1, x - LABEL), bar, h.baseline() ? "#888" : "#4a7bd0", Fmt.num(v), Fmt.html(unit)));
                if (low != null && h.roundsOk() > 1) {
                    double a = LABEL + low.applyAsDouble(h) / end * (x1 - LABEL);
                    double b = LABEL + high.applyAsDouble(h) / end * (x1 - LABEL);
                    int cy = y + bar / 2;
                    s.append(String.format(Locale.ROOT, "<path d=\"M%.1f %d H%.1f M%.1f %d V%d M%.1f %d V%d\" stroke=\"#000\" fill=\"none\"/>\n",
                            a, cy, b, a, cy - 5, cy + 5, b, cy - 5, cy + 5));
                    labelAt = Math.max(x, b);
                }
                s.append(HtmlReport.valueLabel(labelAt, y + bar / 2 + 4, Fmt.num(v)));
            } else {
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#a00\">%s</text>\n", LABEL + 4, y + bar / 2 + 4,
                        Fmt.html(h.note().length() > 70 ? h.note().substring(0, 70) + "…" : h.note())));
            }
            y += bar + 6;
        }
        return s.append("</svg>\n").toString();
    }
}
