/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

/** The idle-connections family's part of the terminal table, report.md and report.html. */
final class IdleReport {
    static final String TITLE = "Idle connections: memory per open keep-alive connection";

    private IdleReport() {
    }

    static String terminal(Results res) {
        StringBuilder s = new StringBuilder();
        if (res.idle().isEmpty()) {
            return s.append("\nIdle connections: ").append(res.idleNote()).append('\n').toString();
        }
        s.append('\n').append(TITLE).append(" (KiB per connection; ratio: total to the reference, lower is leaner)\n");
        s.append(String.format("  %-44s %11s %9s %15s %9s %9s %7s %10s  %s%n", "server", "connections", "RSS", "spread (rounds)",
                "heap", "total", "ratio", "FIN freed", "RST"));
        for (IdleResult r : res.idle()) {
            String name = (r.reference() ? "* " : "") + r.server();
            if (!r.measured()) {
                s.append(String.format("  %-44s %11s %s%n", name, count(r.connections()), r.note()));
                continue;
            }
            s.append(String.format("  %-44s %11s %9s %15s %9s %9s %7s %10s  %s%n", name, count(r.connections()), Fmt.num(r.rssKiBPerConn()),
                    r.spread(), Fmt.num(r.heapKiBPerConn()), Fmt.num(r.totalKiBPerConn()), Fmt.ratio(res.idleRatio(r)), freed(r), r.reset()));
            if (!r.note().isEmpty()) {
                s.append("      ! ").append(r.note()).append('\n');
            }
        }
        s.append("  * = reference\n");
        return s.toString();
    }

    static String markdown(Results res) {
        StringBuilder s = new StringBuilder("\n## ").append(TITLE).append("\n\n").append(res.idleNote()).append('\n');
        if (res.idle().isEmpty()) {
            return s.toString();
        }
        s.append("\n| server | connections | RSS KiB/conn | spread (min–max) | live heap KiB/conn | total KiB/conn | ratio | "
                        + "sockets freed after FIN | after RST |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        StringBuilder notes = new StringBuilder();
        for (IdleResult r : res.idle()) {
            String name = r.reference() ? "**" + r.server() + "**" : r.server();
            if (!r.measured()) {
                s.append("| ").append(name).append(" | ").append(count(r.connections())).append(" | ").append(r.note())
                        .append(" | | | | | | ").append(r.reset()).append(" |\n");
                continue;
            }
            s.append("| ").append(name).append(" | ").append(count(r.connections())).append(" | ").append(Fmt.num(r.rssKiBPerConn()))
                    .append(" | ").append(r.spread()).append(" | ").append(Fmt.num(r.heapKiBPerConn())).append(" | ")
                    .append(Fmt.num(r.totalKiBPerConn())).append(" | ").append(Fmt.ratio(res.idleRatio(r))).append(" | ")
                    .append(freed(r)).append(" | ").append(r.reset()).append(" |\n");
            if (!r.note().isEmpty()) {
                notes.append("- ").append(r.server()).append(": ").append(r.note()).append('\n');
            }
        }
        s.append("\n**Bold**: the reference.\n");
        if (!notes.isEmpty()) {
            s.append("\nRounds left out:\n\n").append(notes);
        }
        return s.toString();
    }

    static String html(Results res) {
        StringBuilder s = new StringBuilder("<h2>").append(Fmt.html(TITLE)).append("</h2>\n<p>").append(Fmt.html(res.idleNote())).append("</p>\n");
        if (res.idle().isEmpty()) {
            return s.toString();
        }
        s.append("<table><tr><th>server</th><th>connections</th><th>RSS KiB/conn</th><th>spread (min–max)</th><th>live heap KiB/conn</th>"
                + "<th>total KiB/conn</th><th>ratio</th><th>sockets freed after FIN</th><th>after RST</th><th>note</th></tr>\n");
        for (IdleResult r : res.idle()) {
            s.append("<tr").append(r.reference() ? " class=\"ref\"" : "").append("><td>").append(Fmt.html(r.server()))
                    .append("</td><td>").append(count(r.connections())).append("</td>");
            if (r.measured()) {
                s.append("<td>").append(Fmt.num(r.rssKiBPerConn())).append("</td><td>").append(r.spread()).append("</td><td>")
                        .append(Fmt.num(r.heapKiBPerConn())).append("</td><td>").append(Fmt.num(r.totalKiBPerConn())).append("</td><td>")
                        .append(Fmt.ratio(res.idleRatio(r))).append("</td><td>").append(freed(r)).append("</td><td>")
                        .append(Fmt.html(r.reset())).append("</td><td>").append(Fmt.html(r.note())).append("</td></tr>\n");
            } else {
                s.append("<td colspan=\"6\">").append(Fmt.html(r.note())).append("</td><td>").append(Fmt.html(r.reset()))
                        .append("</td><td></td></tr>\n");
            }
        }
        return s.append("</table>\n").toString();
    }

    /** The slowest round's wait for the server to let go of closed connections. */
    static String freed(IdleResult r) {
        return Double.isNaN(r.closeSeconds()) ? "–" : r.closeSeconds() < 0 ? "not all" : "≤ " + Fmt.num(r.closeSeconds()) + " s";
    }

    private static String count(int n) {
        return String.format(java.util.Locale.ROOT, "%,d", n);
    }
}
