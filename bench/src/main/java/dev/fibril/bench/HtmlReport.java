/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.List;
import java.util.Locale;

/**
 * report.html: one self-contained page (no scripts, no external files) with the tables and inline
 * SVG charts: each family's costs on a log scale with error bars, and latency percentiles per server.
 */
final class HtmlReport {
    private static final int WIDTH = 900;
    private static final int LABEL = 360;
    private static final int BAR = 22;
    /** Where a chart's value axis ends: the room right of it takes the value labels. */
    static final int AXIS_END = WIDTH - 90;

    private HtmlReport() {
    }

    static String render(Results res) {
        StringBuilder s = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Fibril benchmark report</title><style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}")
                .append(".ref{font-weight:bold}svg text{font-size:12px;font-family:sans-serif}</style></head><body>\n")
                .append("<h1>Fibril benchmark report</h1>\n<ul id=\"machine\">")
                .append("<li>Machine: ").append(res.machine().cpus()).append(" CPUs, ").append(Fmt.html(res.machine().cpuModel()))
                .append("</li><li>Kernel: ").append(Fmt.html(res.machine().kernel()))
                .append("</li><li>JVM: ").append(Fmt.html(res.machine().jvm()))
                .append("</li><li>io_uring: ").append(Fmt.html(res.machine().ioUring()))
                .append("</li><li>Profile: ").append(Fmt.html(res.profileLine()))
                .append("</li><li>Started: ").append(Fmt.html(res.started())).append(", took ").append(Progress.format(res.seconds()))
                .append("</li><li>Load average (1 / 5 / 15 min): ").append(Fmt.html(MachineLoad.line(res.machineLoad())))
                .append("</li></ul>\n");
        if (res.busyWarning() != null) {
            s.append("<p id=\"busy\"><strong>").append(Fmt.html(res.busyWarning())).append("</strong></p>\n");
        }
        s.append("<p>Every number comes from this run. Error bars are JMH's 99.9% confidence intervals; "
                        + "bold rows are each group's reference (ratio 1). Charts use a log scale. ")
                .append(Fmt.html(Fmt.NOT_SIGNIFICANT_LEGEND)).append("</p>\n");
        for (String family : TextReport.families(res.rows())) {
            List<Row> rows = res.rows().stream().filter(r -> r.family().equals(family)).toList();
            s.append("<h2>").append(Fmt.html(family)).append("</h2>\n").append(costChart(family, rows));
            s.append("<table><tr><th>case</th><th>ns/op</th><th>B/op</th><th>ratio to reference</th></tr>\n");
            for (Row r : rows) {
                s.append("<tr").append(r.reference() ? " class=\"ref\"" : "").append("><td>").append(Fmt.html(r.label())).append("</td>");
                if (r.measured()) {
                    s.append("<td>").append(Fmt.pm(r.score(), r.error())).append("</td><td>").append(Fmt.num(r.bytesPerOp()))
                            .append("</td><td>").append(Fmt.ratio(Ratios.of(r, res.rows()))).append("</td></tr>\n");
                } else {
                    s.append("<td colspan=\"3\">").append(Fmt.html(r.note())).append("</td></tr>\n");
                }
            }
            s.append("</table>\n");
        }
        s.append("<h2>Echo load</h2>\n<p>").append(Fmt.html(res.loadNote())).append("</p>\n");
        if (!res.loads().isEmpty()) {
            s.append(latencyChart(res.loads()));
            s.append("<table><tr><th>server</th><th>load</th><th>msg/s</th><th>p50 µs</th><th>p99 µs</th><th>p99.9 µs</th>"
                    + "<th>server CPU ns/msg</th><th>throughput ratio</th><th>CPU ratio</th></tr>\n");
            for (LoadResult l : res.loads()) {
                s.append("<tr").append(l.reference() ? " class=\"ref\"" : "").append("><td>").append(Fmt.html(l.server()))
                        .append("</td><td>").append(Fmt.html(l.group())).append("</td>");
                if (l.measured()) {
                    s.append("<td>").append(Fmt.pm(l.messagesPerSecond(), l.messagesPerSecondError())).append("</td><td>")
                            .append(Fmt.num(l.p50Micros())).append("</td><td>").append(Fmt.num(l.p99Micros())).append("</td><td>")
                            .append(Fmt.num(l.p999Micros())).append("</td><td>").append(Fmt.num(l.cpuNanosPerMessage()))
                            .append("</td><td>").append(Fmt.ratio(res.loadRatio(l))).append("</td><td>")
                            .append(Fmt.ratio(res.cpuRatio(l))).append("</td></tr>\n");
                } else {
                    s.append("<td colspan=\"7\">").append(Fmt.html(l.note())).append("</td></tr>\n");
                }
            }
            s.append("</table>\n");
        }
        s.append(HttpReport.html(res));
        s.append(IsolationReport.html(res));
        s.append(IdleReport.html(res));
        return s.append("</body></html>\n").toString();
    }

    /** Horizontal bars of ns/op on a log axis, with the confidence interval as a whisker. */
    static String costChart(String title, List<Row> rows) {
        List<Row> measured = rows.stream().filter(Row::measured).toList();
        if (measured.isEmpty()) {
            return "<p>No measurements.</p>\n";
        }
        double lo = measured.stream().mapToDouble(r -> r.score() - (Double.isNaN(r.error()) ? 0 : r.error()))
                .filter(v -> v > 0).min().orElse(1);
        double hi = measured.stream().mapToDouble(r -> r.score() + (Double.isNaN(r.error()) ? 0 : r.error())).max().orElse(10);
        LogAxis axis = LogAxis.spanning(lo, hi, LABEL, AXIS_END);
        int height = 30 + rows.size() * (BAR + 6) + 20;
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s, ns/op, log scale, lower is better\">\n",
                WIDTH, height, Fmt.html(title)));
        s.append(caption("ns/op, log scale", "lower is better"));
        axis.draw(s, 20, height - 20, "ns/op");
        int y = 24;
        for (Row r : rows) {
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\"%s>%s</text>\n", LABEL - 6, y + BAR / 2 + 4,
                    r.reference() ? " font-weight=\"bold\"" : "", Fmt.html(r.label())));
            if (r.measured()) {
                double x = axis.x(r.score());
                double labelAt = x;
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s ns/op</title></rect>\n",
                        LABEL, y, Math.max(1, x - LABEL), BAR, r.reference() ? "#888" : "#4a7bd0", Fmt.pm(r.score(), r.error())));
                if (!Double.isNaN(r.error()) && r.error() > 0) {
                    double x0 = axis.x(Math.max(r.score() - r.error(), axis.min()));
                    double x1 = axis.x(r.score() + r.error());
                    int cy = y + BAR / 2;
                    s.append(String.format(Locale.ROOT, "<path d=\"M%.1f %d H%.1f M%.1f %d V%d M%.1f %d V%d\" stroke=\"#000\" fill=\"none\"/>\n",
                            x0, cy, x1, x0, cy - 5, cy + 5, x1, cy - 5, cy + 5));
                    labelAt = Math.max(x, x1);
                }
                s.append(valueLabel(labelAt, y + BAR / 2 + 4, Fmt.num(r.score())));
            } else {
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#a00\">%s</text>\n", LABEL + 4, y + BAR / 2 + 4,
                        Fmt.html(r.note().length() > 70 ? r.note().substring(0, 70) + "…" : r.note())));
            }
            y += BAR + 6;
        }
        return s.append("</svg>\n").toString();
    }

    /** p50, p99 and p99.9 of every server under each load, as grouped bars on a log axis. */
    static String latencyChart(List<LoadResult> loads) {
        return percentileChart(loads.stream().filter(LoadResult::measured)
                .map(l -> new Percentiles(l.server() + " · " + l.group(), new double[] {l.p50Micros(), l.p99Micros(), l.p999Micros()}))
                .toList(), new String[] {"p50", "p99", "p99.9"}, "echo latency percentiles per server");
    }

    /** One bar group of a percentile chart: its label, and one value in µs per percentile named. */
    record Percentiles(String label, double[] micros) {
    }

    /** Latency percentiles (up to three) of each labelled row, as grouped bars on a log axis. */
    static String percentileChart(List<Percentiles> rows, String[] names, String ariaLabel) {
        if (rows.isEmpty()) {
            return "";
        }
        double lo = rows.stream().mapToDouble(r -> r.micros()[0]).filter(v -> v > 0).min().orElse(1);
        double hi = rows.stream().mapToDouble(r -> r.micros()[names.length - 1]).max().orElse(10);
        LogAxis axis = LogAxis.spanning(lo, hi, LABEL, AXIS_END);
        String[] colors = {"#7fb069", "#e6aa68", "#ca3c25"};
        int rowH = names.length * 8 + 8;
        int height = 40 + rows.size() * rowH + 20;
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">\n",
                WIDTH, height, Fmt.html(ariaLabel)));
        s.append("<text x=\"").append(LABEL).append("\" y=\"14\">");
        for (int i = 0; i < names.length; i++) {
            s.append("<tspan fill=\"").append(colors[i]).append("\">■ ").append(names[i]).append("</tspan> ");
        }
        s.append("(µs, log scale)</text>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\" text-anchor=\"end\" font-style=\"italic\">lower is better</text>\n", AXIS_END));
        axis.draw(s, 24, height - 20, "µs");
        int y = 30;
        for (Percentiles r : rows) {
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", LABEL - 6,
                    y + names.length * 4 + 4, Fmt.html(r.label())));
            for (int i = 0; i < names.length; i++) {
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"7\" fill=\"%s\"><title>%s µs</title></rect>\n",
                        LABEL, y + i * 8, Math.max(1, axis.x(r.micros()[i]) - LABEL), colors[i], Fmt.num(r.micros()[i])));
            }
            y += rowH;
        }
        return s.append("</svg>\n").toString();
    }

    /** The chart's unit on the left and which way is better on the right, above the bars. */
    static String caption(String unit, String better) {
        return String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\">%s</text><text x=\"%d\" y=\"14\" text-anchor=\"end\" "
                + "font-style=\"italic\">%s</text>\n", LABEL, Fmt.html(unit), AXIS_END, Fmt.html(better));
    }

    /** A bar's value, just right of {@code x} (the bar's end or its whisker's, whichever is further right). */
    static String valueLabel(double x, int y, String text) {
        return String.format(Locale.ROOT, "<text class=\"value\" x=\"%.1f\" y=\"%d\">%s</text>\n", x + 6, y, Fmt.html(text));
    }

    /**
     * A base-10 log axis from a decade strictly below {@code lo} (so the smallest value still has a
     * bar) to the decade at or above {@code hi}.
     */
    record LogAxis(double min, double max, int x0, int x1) {
        static LogAxis spanning(double lo, double hi, int x0, int x1) {
            double floor = Math.max(lo, 1e-3);
            double min = Math.pow(10, Math.floor(Math.log10(floor)));
            if (min >= floor) {
                min /= 10;
            }
            double max = Math.pow(10, Math.ceil(Math.log10(Math.max(hi, min * 10))));
            return new LogAxis(min, max, x0, x1);
        }

        double x(double v) {
            double t = (Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
            return x0 + t * (x1 - x0);
        }

        /** Grid lines and tick labels; the unit stands left of the first tick, where it is never clipped. */
        void draw(StringBuilder s, int top, int bottom, String unit) {
            s.append(String.format(Locale.ROOT, "<text class=\"unit\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
                    x0 - 24, bottom + 14, Fmt.html(unit)));
            for (double d = min; d <= max * 1.0001; d *= 10) {
                double x = x(d);
                s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>", x, top, x, bottom))
                        .append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                                x, bottom + 14, Fmt.num(d)));
            }
        }
    }
}
