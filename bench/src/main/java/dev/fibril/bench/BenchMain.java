package dev.fibril.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;

/**
 * {@code ./fibril bench [--full] [--only REGEX] [--no-load] [--http-client wrk|java] [--out DIR]}: runs
 * every benchmark family in this one run, prints progress and a table of ratios, and writes report.md,
 * report.html, the raw JMH JSON, the JMH log and the HTTP load generator's raw output to
 * {@code bench/results/<timestamp>/}.
 *
 * <p>{@code --only} selects by id: JMH cases by {@code Class.method [param=value]}, the two load
 * families by {@value #ECHO_ID} and {@value #HTTP_ID} ({@code --only http} runs just the HTTP comparison), the
 * isolation family by {@value #ISOLATION_ID} ({@code --only isolation}; {@code --no-load} does not skip it).
 */
public final class BenchMain {
    static final String ECHO_ID = "load.echo";
    static final String HTTP_ID = "load.http";
    static final String ISOLATION_ID = "isolation";
    private static final String USAGE = "usage: ./fibril bench [--full] [--only REGEX] [--no-load] [--http-client wrk|java] [--out DIR]";

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        Profile profile = Profile.QUICK;
        Pattern only = null;
        boolean load = true;
        boolean javaHttpClient = false;
        String started = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss"));
        Path out = Path.of("bench", "results", started);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--full" -> profile = Profile.FULL;
                case "--quick" -> profile = Profile.QUICK;
                case "--smoke" -> profile = Profile.SMOKE;
                case "--only" -> only = Pattern.compile(value(args, ++i));
                case "--no-load" -> load = false;
                case "--out" -> out = Path.of(value(args, ++i));
                case "--http-client" -> javaHttpClient = switch (value(args, ++i)) {
                    case "wrk" -> false;
                    case "java" -> true;
                    default -> throw new IllegalArgumentException("--http-client takes wrk or java");
                };
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (" + USAGE + ")");
            }
        }
        Files.createDirectories(out);
        Machine machine = Machine.current();
        List<Case> cases = new ArrayList<>();
        for (Case c : Catalog.all()) {
            if (only == null || only.matcher(c.id()).find()) {
                cases.add(c);
            }
        }
        EchoLoad echo = load && selected(only, ECHO_ID) ? new EchoLoad(profile, out) : null;
        HttpLoad http = load && selected(only, HTTP_ID) ? new HttpLoad(profile, out, javaHttpClient) : null;
        Isolation isolation = selected(only, ISOLATION_ID) ? new Isolation(profile, out, machine) : null;
        double estimate = cases.size() * profile.estimateSeconds() + (echo == null ? 0 : echo.estimateSeconds())
                + (http == null ? 0 : http.estimateSeconds()) + (isolation == null ? 0 : isolation.estimateSeconds());
        int steps = cases.size() + (echo == null ? 0 : echo.steps()) + (http == null ? 0 : http.steps())
                + (isolation == null ? 0 : isolation.steps());
        System.out.println("Fibril bench, " + profile.name() + " profile: " + steps + " steps, about "
                + Progress.format(estimate) + " (estimate)");
        System.out.println("Machine: " + machine.oneLine());
        System.out.println("Writing to " + out.toAbsolutePath());
        Progress progress = new Progress(System.out, steps, estimate);

        List<Row> rows = new ArrayList<>();
        JmhCases jmh;
        try (PrintStream log = new PrintStream(Files.newOutputStream(out.resolve("jmh.log")), true, StandardCharsets.UTF_8)) {
            jmh = new JmhCases(profile, log);
            for (Case c : cases) {
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
        String notRun = load ? "not run (not selected by --only)" : "not run (--no-load)";
        List<LoadResult> loads = List.of();
        String loadNote = notRun;
        if (echo != null) {
            loads = echo.run(progress, machine);
            loadNote = echo.note();
        }
        List<HttpResult> httpResults = List.of();
        String httpNote = notRun;
        String httpGenerator = "";
        if (http != null) {
            httpResults = http.run(progress, machine);
            httpNote = http.note();
            httpGenerator = http.generator();
        }
        List<IsolationResult> isolationResults = List.of();
        String isolationNote = "not run (not selected by --only)";
        if (isolation != null) {
            isolationResults = isolation.run(progress);
            isolationNote = isolation.note();
        }
        String profileLine = profile.name() + ": " + profile.forks() + " fork(s), " + profile.warmups() + " × "
                + profile.warmupTime() + " warm-up, " + profile.iterations() + " × " + profile.iterationTime() + " measured";
        Results res = new Results(machine, profileLine, started, progress.elapsedSeconds(), rows, loads, loadNote,
                httpResults, httpNote, httpGenerator, isolationResults, isolationNote);
        Files.writeString(out.resolve("report.md"), TextReport.markdown(res));
        Files.writeString(out.resolve("report.html"), HtmlReport.render(res));
        System.out.println();
        System.out.print(TextReport.terminal(res));
        System.out.println("\nReport: " + out.resolve("report.html").toAbsolutePath() + " (and report.md, jmh.json, jmh.log"
                + (http == null ? "" : ", http/ with the load generator's raw output") + ")");
        System.out.println("Took " + Progress.format(progress.elapsedSeconds()));
    }

    private static boolean selected(Pattern only, String id) {
        return only == null || only.matcher(id).find();
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
