/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The terminal table and report.md: every row with its ratio to its group's reference. */
final class TextReport {
    private TextReport() {
    }

    static String terminal(Results res) {
        StringBuilder s = new StringBuilder();
        s.append("Machine: ").append(res.machine().oneLine()).append('\n');
        s.append("Load average (1 / 5 / 15 min): ").append(MachineLoad.line(res.machineLoad())).append('\n');
        if (res.busyWarning() != null) {
            s.append(res.busyWarning()).append('\n');
        }
        for (String family : families(res.rows())) {
            s.append('\n').append(family).append('\n');
            s.append(String.format("  %-58s %20s %10s %18s%n", "case", "ns/op (99.9% CI)", "B/op", "ratio to ref"));
            for (Row r : res.rows()) {
                if (!r.family().equals(family)) {
                    continue;
                }
                String label = (r.reference() ? "* " : "  ") + r.label();
                if (!r.measured()) {
                    s.append(String.format("  %-58s %s%n", label, r.note()));
                    continue;
                }
                s.append(String.format("  %-58s %20s %10s %18s%n", label, Fmt.pm(r.score(), r.error()),
                        Fmt.num(r.bytesPerOp()), Fmt.ratio(Ratios.of(r, res.rows()))));
            }
        }
        if (!res.loads().isEmpty()) {
            s.append("\nEcho load (ratios to JDK virtual threads: throughput, higher is better; CPU per message, lower is leaner)\n");
            s.append(String.format("  %-40s %-22s %14s %9s %9s %9s %12s %16s %10s%n", "server", "load", "msg/s",
                    "p50 µs", "p99 µs", "p99.9 µs", "CPU ns/msg", "throughput ratio", "CPU ratio"));
            for (LoadResult l : res.loads()) {
                if (!l.measured()) {
                    s.append(String.format("  %-40s %-22s %s%n", l.server(), l.group(), l.note()));
                    continue;
                }
                s.append(String.format("  %-40s %-22s %14s %9s %9s %9s %12s %16s %10s%n", (l.reference() ? "* " : "") + l.server(),
                        l.group(), Fmt.num(l.messagesPerSecond()), Fmt.num(l.p50Micros()), Fmt.num(l.p99Micros()),
                        Fmt.num(l.p999Micros()), Fmt.num(l.cpuNanosPerMessage()), Fmt.ratio(res.loadRatio(l)),
                        Fmt.ratio(res.cpuRatio(l))));
            }
        } else {
            s.append("\nEcho load: ").append(res.loadNote()).append('\n');
        }
        if (!res.rows().isEmpty() || !res.loads().isEmpty()) {
            s.append("\n* = reference of its group (ratio 1). Ratios of times: lower is faster. ").append(Fmt.NOT_SIGNIFICANT_LEGEND).append('\n');
        }
        s.append(HttpReport.terminal(res));
        s.append(IsolationReport.terminal(res));
        s.append(IdleReport.terminal(res));
        return s.toString();
    }

    static String markdown(Results res) {
        StringBuilder s = new StringBuilder("# Fibril benchmark report\n\n");
        s.append("- Machine: ").append(res.machine().cpus()).append(" CPUs, ").append(res.machine().cpuModel()).append('\n');
        s.append("- Kernel: ").append(res.machine().kernel()).append('\n');
        s.append("- JVM: ").append(res.machine().jvm()).append('\n');
        s.append("- io_uring: ").append(res.machine().ioUring()).append('\n');
        s.append("- Profile: ").append(res.profileLine()).append('\n');
        s.append("- Started: ").append(res.started()).append(", took ").append(Progress.format(res.seconds())).append('\n');
        s.append("- Load average (1 / 5 / 15 min): ").append(MachineLoad.line(res.machineLoad())).append("\n\n");
        if (res.busyWarning() != null) {
            s.append("**").append(res.busyWarning()).append("**\n\n");
        }
        s.append("Every number comes from this run; errors are JMH's 99.9% confidence intervals, ratio errors ")
                .append("combine both relative errors. **Bold** marks each group's reference. Times: lower is better; ")
                .append("throughput: higher is better. ").append(Fmt.NOT_SIGNIFICANT_LEGEND).append('\n');
        for (String group : groups(res.rows())) {
            s.append("\n## ").append(group).append("\n\n| case | ns/op | B/op | ratio to reference |\n| --- | ---: | ---: | ---: |\n");
            for (Row r : res.rows()) {
                if (!r.group().equals(group)) {
                    continue;
                }
                String label = r.reference() ? "**" + r.label() + "**" : r.label();
                if (!r.measured()) {
                    s.append("| ").append(label).append(" | ").append(r.note()).append(" | | |\n");
                } else {
                    s.append("| ").append(label).append(" | ").append(Fmt.pm(r.score(), r.error())).append(" | ")
                            .append(Fmt.num(r.bytesPerOp())).append(" | ").append(Fmt.ratio(Ratios.of(r, res.rows()))).append(" |\n");
                }
            }
        }
        s.append("\n## Echo load\n\n");
        if (res.loads().isEmpty()) {
            s.append(res.loadNote()).append('\n');
        } else {
            s.append(res.loadNote()).append("\n\n| server | load | msg/s | p50 µs | p99 µs | p99.9 µs | server CPU ns/msg | throughput ratio | CPU ratio |\n")
                    .append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (LoadResult l : res.loads()) {
                String name = l.reference() ? "**" + l.server() + "**" : l.server();
                if (!l.measured()) {
                    s.append("| ").append(name).append(" | ").append(l.group()).append(" | ").append(l.note()).append(" | | | | | | |\n");
                    continue;
                }
                s.append("| ").append(name).append(" | ").append(l.group()).append(" | ")
                        .append(Fmt.pm(l.messagesPerSecond(), l.messagesPerSecondError())).append(" | ")
                        .append(Fmt.num(l.p50Micros())).append(" | ").append(Fmt.num(l.p99Micros())).append(" | ")
                        .append(Fmt.num(l.p999Micros())).append(" | ").append(Fmt.num(l.cpuNanosPerMessage())).append(" | ")
                        .append(Fmt.ratio(res.loadRatio(l))).append(" | ").append(Fmt.ratio(res.cpuRatio(l))).append(" |\n");
            }
        }
        s.append(HttpReport.markdown(res));
        s.append(IsolationReport.markdown(res));
        s.append(IdleReport.markdown(res));
        return s.toString();
    }

    static List<String> families(List<Row> rows) {
        Set<String> f = new LinkedHashSet<>();
        rows.forEach(r -> f.add(r.family()));
        return new ArrayList<>(f);
    }

    static List<String> groups(List<Row> rows) {
        Set<String> g = new LinkedHashSet<>();
        rows.forEach(r -> g.add(r.group()));
        return new ArrayList<>(g);
    }
}
