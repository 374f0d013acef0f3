/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

/** The isolation family's part of the terminal table, report.md and report.html. */
final class IsolationReport {
    static final String TITLE = "Isolation: a fibril holds its carrier's thread for " + Isolation.HOLD_MILLIS + " ms";

    private IsolationReport() {
    }

    static String terminal(Results res) {
        StringBuilder s = new StringBuilder();
        if (res.isolation().isEmpty()) {
            return s.append("\nIsolation: ").append(res.isolationNote()).append('\n').toString();
        }
        s.append('\n').append(TITLE).append(" (ms; ratio: max timer gap to the JDK's, lower is better)\n");
        s.append(String.format("  %-62s %-40s %9s %9s %9s %9s %9s %9s %11s %10s %9s%n", "runtime", "hold", "timer p50", "timer p99",
                "timer max", "echo p50", "echo p99", "echo max", "round trips", "max ratio", "hand-offs"));
        for (IsolationResult r : res.isolation()) {
            String name = (r.reference() ? "* " : "") + r.runtime();
            if (!r.measured()) {
                s.append(String.format("  %-62s %-40s %s%n", name, r.hold(), r.note()));
                continue;
            }
            s.append(String.format("  %-62s %-40s %9s %9s %9s %9s %9s %9s %11s %10s %9s%n", name, r.hold(), Fmt.num(r.timerP50()),
                    Fmt.num(r.timerP99()), Fmt.num(r.timerMax()), Fmt.num(r.echoP50()), Fmt.num(r.echoP99()),
                    Fmt.num(r.echoMax()), count(r.echoSamples()), Fmt.ratio(res.isolationRatio(r)), handoffs(r)));
        }
        s.append("  * = reference (JDK virtual threads)\n");
        return s.toString();
    }

    static String markdown(Results res) {
        StringBuilder s = new StringBuilder("\n## ").append(TITLE).append("\n\n").append(res.isolationNote()).append('\n');
        if (res.isolation().isEmpty()) {
            return s.toString();
        }
        s.append("\nMachine: ").append(res.machine().oneLine()).append("\n\n")
                .append("| runtime | hold | timer gap p50 ms | p99 ms | max ms | echo round trip p50 ms | p99 ms | max ms "
                        + "| round trips | max gap ratio to JDK | hand-offs |\n")
                .append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (IsolationResult r : res.isolation()) {
            String name = r.reference() ? "**" + r.runtime() + "**" : r.runtime();
            if (!r.measured()) {
                s.append("| ").append(name).append(" | ").append(r.hold()).append(" | ").append(r.note()).append(" | | | | | | | | |\n");
                continue;
            }
            s.append("| ").append(name).append(" | ").append(r.hold()).append(" | ")
                    .append(Fmt.num(r.timerP50())).append(" | ").append(Fmt.num(r.timerP99())).append(" | ")
                    .append(Fmt.num(r.timerMax())).append(" | ").append(Fmt.num(r.echoP50())).append(" | ")
                    .append(Fmt.num(r.echoP99())).append(" | ").append(Fmt.num(r.echoMax())).append(" | ")
                    .append(count(r.echoSamples())).append(" | ").append(Fmt.ratio(res.isolationRatio(r))).append(" | ").append(handoffs(r)).append(" |\n");
        }
        return s.append("\n**Bold**: the reference, JDK virtual threads on the default scheduler.\n").toString();
    }

    static String html(Results res) {
        StringBuilder s = new StringBuilder("<h2>").append(Fmt.html(TITLE)).append("</h2>\n<p>")
                .append(Fmt.html(res.isolationNote())).append("</p>\n");
        if (res.isolation().isEmpty()) {
            return s.toString();
        }
        s.append(HtmlReport.percentileChart(res.isolation().stream().filter(IsolationResult::measured)
                .map(r -> new HtmlReport.Percentiles(r.runtime() + " · " + r.hold(),
                        new double[] {r.timerP50() * 1000, r.timerP99() * 1000, r.timerMax() * 1000}))
                .toList(), new String[] {"p50", "p99", "max"}, "timer gaps while a carrier is held"));
        s.append("<table><tr><th>runtime</th><th>hold</th><th>timer p50 ms</th><th>timer p99 ms</th><th>timer max ms</th>"
                + "<th>echo p50 ms</th><th>echo p99 ms</th><th>echo max ms</th><th>round trips</th><th>max gap ratio to JDK</th><th>hand-offs</th></tr>\n");
        for (IsolationResult r : res.isolation()) {
            s.append("<tr").append(r.reference() ? " class=\"ref\"" : "").append("><td>").append(Fmt.html(r.runtime()))
                    .append("</td><td>").append(Fmt.html(r.hold())).append("</td>");
            if (r.measured()) {
                s.append("<td>").append(Fmt.num(r.timerP50())).append("</td><td>").append(Fmt.num(r.timerP99()))
                        .append("</td><td>").append(Fmt.num(r.timerMax())).append("</td><td>").append(Fmt.num(r.echoP50()))
                        .append("</td><td>").append(Fmt.num(r.echoP99())).append("</td><td>").append(Fmt.num(r.echoMax()))
                        .append("</td><td>").append(count(r.echoSamples())).append("</td><td>").append(Fmt.ratio(res.isolationRatio(r))).append("</td><td>").append(handoffs(r))
                        .append("</td></tr>\n");
            } else {
                s.append("<td colspan=\"9\">").append(Fmt.html(r.note())).append("</td></tr>\n");
            }
        }
        return s.append("</table>\n").toString();
    }

    private static String count(long n) {
        return String.format(java.util.Locale.ROOT, "%,d", n);
    }

    private static String handoffs(IsolationResult r) {
        return r.handoffs() < 0 ? "–" : Long.toString(r.handoffs());
    }
}
