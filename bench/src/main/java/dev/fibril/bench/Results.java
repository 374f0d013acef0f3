package dev.fibril.bench;

import java.util.List;

/** Everything one run measured, as the reports need it. */
record Results(Machine machine, String profileLine, String started, double seconds, List<Row> rows,
               List<LoadResult> loads, String loadNote) {

    /** Throughput relative to the reference server under the same load (higher is better). */
    Ratios loadRatio(LoadResult l) {
        LoadResult ref = loads.stream().filter(x -> x.reference() && x.group().equals(l.group()) && x.measured())
                .findFirst().orElse(null);
        if (ref == null || !l.measured() || ref.messagesPerSecond() == 0) {
            return new Ratios(Double.NaN, Double.NaN);
        }
        double ratio = l.messagesPerSecond() / ref.messagesPerSecond();
        if (l == ref) {
            return new Ratios(1, 0);
        }
        double a = l.messagesPerSecondError() / l.messagesPerSecond();
        double b = ref.messagesPerSecondError() / ref.messagesPerSecond();
        return new Ratios(ratio, ratio * Math.sqrt(a * a + b * b));
    }

    /** The server's CPU time per message relative to the reference's in the same load (lower is leaner). */
    Ratios cpuRatio(LoadResult l) {
        LoadResult ref = loads.stream().filter(x -> x.reference() && x.group().equals(l.group()) && x.measured())
                .findFirst().orElse(null);
        if (ref == null || !l.measured() || !(ref.cpuNanosPerMessage() > 0)) {
            return new Ratios(Double.NaN, Double.NaN);
        }
        return new Ratios(l.cpuNanosPerMessage() / ref.cpuNanosPerMessage(), Double.NaN);
    }
}
