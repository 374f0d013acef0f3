/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.fibril.demo.CommandLine;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;

/**
 * {@code ./fibril bench [--full] [--only REGEX] [--no-load] [--http-client wrk|java] [--idle-connections N] [--out DIR] [--list]}: runs
 * every benchmark family in this one run, prints progress and a table of ratios, and writes report.md,
 * report.html, the raw JMH JSON, the JMH log and the HTTP load generator's raw output to
 * {@code bench/results/<timestamp>/}.
 *
 * <p>{@code --only} selects by id: JMH cases by {@code Class.method [param=value]}, the two load
 * families by {@value #ECHO_ID}, {@value #HTTP_ID} ({@code --only http} runs just the HTTP comparison) and
 * {@value #IDLE_ID} (memory per idle connection), the
 * isolation family by {@value #ISOLATION_ID} ({@code --only isolation}; {@code --no-load} does not skip it).
 * {@link BenchOptions} reads the options; the machine's load average is sampled before the run,
 * before each family and after it.
 */
public final class BenchMain {
    static final String ECHO_ID = "load.echo";
    static final String HTTP_ID = "load.http";
    static final String IDLE_ID = "load.idle";
    static final String ISOLATION_ID = "isolation";

    private BenchMain() {
    }

    public static void main(String[] args) {
        CommandLine.main("fibril bench", BenchOptions.USAGE, args, BenchMain::run);
    }

    private static void run(String[] args) throws Exception {
        BenchOptions options = BenchOptions.parse(args);
        if (options.list()) {
            System.out.print(BenchOptions.listing(Catalog.all()));
            return;
        }
        Profile profile = options.profile();
        boolean javaHttpClient = options.javaHttpClient();
        ZonedDateTime now = ZonedDateTime.now();
        String started = startLabel(now);
        Path out = options.out() != null ? options.out()
                : Path.of("bench", "results", now.format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss", Locale.ROOT)));
        List<MachineLoad> machineLoad = new ArrayList<>();
        machineLoad.add(MachineLoad.now("before the run"));
        Files.createDirectories(out);
        Machine machine = Machine.current();
        List<Case> cases = options.selectedCases(Catalog.all());
        EchoLoad echo = options.runsEcho() ? new EchoLoad(profile, out) : null;
        HttpLoad http = options.runsHttp() ? new HttpLoad(profile, out, javaHttpClient) : null;
        IdleLoad idle = options.runsIdle() ? new IdleLoad(profile, options.idleConnections(), out) : null;
        Isolation isolation = options.runsIsolation() ? new Isolation(profile, out, machine) : null;
        double estimate = cases.size() * profile.estimateSeconds() + (echo == null ? 0 : echo.estimateSeconds())
                + (http == null ? 0 : http.estimateSeconds()) + (idle == null ? 0 : idle.estimateSeconds())
                + (isolation == null ? 0 : isolation.estimateSeconds());
        int steps = cases.size() + (echo == null ? 0 : echo.steps()) + (http == null ? 0 : http.steps())
                + (idle == null ? 0 : idle.steps()) + (isolation == null ? 0 : isolation.steps());
        System.out.println("Fibril bench, " + profile.name() + " profile: " + steps + " steps, about "
                + Progress.format(estimate) + " (estimate)");
        System.out.println("Machine: " + machine.oneLine());
        System.out.println("Writing to " + out.toAbsolutePath());
        String busy = MachineLoad.busyWarning(machineLoad, machine.cpus());
        if (busy != null) {
            System.out.println(busy);
        }
        Progress progress = new Progress(System.out, steps, estimate);

        List<Row> rows = new ArrayList<>();
        JmhCases jmh;
        try (PrintStream log = new PrintStream(Files.newOutputStream(out.resolve("jmh.log")), true, StandardCharsets.UTF_8)) {
            jmh = new JmhCases(profile, log);
            String family = null;
            for (Case c : cases) {
                if (family != null && !c.family().equals(family)) {
                    machineLoad.add(MachineLoad.now("before " + c.family()));
                }
                family = c.family();
                progress.starting(c.family() + ": " + c.label());
                String skip = c.needsIoUring() && !machine.ioUringAvailable() ? "io_uring " + machine.ioUring() : null;
                Row r = jmh.run(c, skip);
                rows.add(r);
                progress.finished(profile.estimateSeconds(), r.measured()
                        ? Fmt.pm(r.score(), r.error()) + " " + r.unit() + ", " + Fmt.num(r.bytesPerOp()) + " B/op"
                        : r.note());
            }
        }
        try (PrintStream json = new PrintStream(Files.newOutputStream(out.resolve("jmh.json")), true, StandardCharsets.UTF_8)) {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, json).writeOut(jmh.raw());
        }
        String notRun = options.load() ? "not run (not selected by --only)" : "not run (--no-load)";
        List<LoadResult> loads = List.of();
        String loadNote = notRun;
        if (echo != null) {
            machineLoad.add(MachineLoad.now("before echo load"));
            loads = echo.run(progress, machine);
            loadNote = echo.note();
        }
        List<HttpResult> httpResults = List.of();
        String httpNote = notRun;
        String httpGenerator = "";
        List<CpuBreakdown.Result> httpCpu = List.of();
        String httpCpuNote = notRun;
        if (http != null) {
            machineLoad.add(MachineLoad.now("before HTTP load"));
            httpResults = http.run(progress, machine);
            httpNote = http.note();
            httpGenerator = http.generator();
            httpCpu = http.breakdown();
            httpCpuNote = http.breakdownNote();
        }
        List<IdleResult> idleResults = List.of();
        String idleNote = notRun;
        if (idle != null) {
            machineLoad.add(MachineLoad.now("before idle connections"));
            idleResults = idle.run(progress, machine);
            idleNote = idle.note();
        }
        List<IsolationResult> isolationResults = List.of();
        String isolationNote = "not run (not selected by --only)";
        if (isolation != null) {
            machineLoad.add(MachineLoad.now("before isolation"));
            isolationResults = isolation.run(progress);
            isolationNote = isolation.note();
        }
        String profileLine = profile.name() + ": " + profile.forks() + " fork(s), " + profile.warmups() + " × "
                + profile.warmupTime() + " warm-up, " + profile.iterations() + " × " + profile.iterationTime() + " measured";
        machineLoad.add(MachineLoad.now("after the run"));
        Results res = new Results(machine, profileLine, started, progress.elapsedSeconds(), rows, loads, loadNote,
                httpResults, httpNote, httpGenerator, httpCpu, httpCpuNote, isolationResults, isolationNote, idleResults, idleNote, machineLoad);
        Files.writeString(out.resolve("report.md"), TextReport.markdown(res));
        Files.writeString(out.resolve("report.html"), HtmlReport.render(res));
        System.out.println();
        System.out.print(TextReport.terminal(res));
        System.out.println("\nReport: " + out.resolve("report.html").toAbsolutePath() + " (and report.md, jmh.json, jmh.log"
                + (http == null ? "" : ", http/ with the load generator's raw output") + (idle == null ? "" : ", idle/ with each round's readings") + ")");
        System.out.println("Took " + Progress.format(progress.elapsedSeconds()));
    }

    /** The start time as the reports print it: with its zone and UTC offset, e.g. {@code 2026-11-27 08:26:07 +01:00 (Europe/Paris)}. */
    static String startLabel(ZonedDateTime t) {
        return t.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xxx (VV)", Locale.ROOT));
    }
}
