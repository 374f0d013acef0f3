/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.List;

/**
 * Everything one run measured, as the reports need it.
 *
 * @param http          the HTTP comparison's rows, empty when it did not run
 * @param httpNote      how the HTTP comparison ran, or why it did not
 * @param httpGenerator the HTTP load generator used (wrk and its version, or the Java client), else empty
 * @param httpCpu       where each profiled server's CPU per request goes, empty when that pass did not run
 * @param httpCpuNote   how that pass ran, or why it did not
 * @param isolation     the isolation family's rows, empty when it did not run
 * @param isolationNote how the isolation family ran, or why it did not
 * @param idle          the idle-connections family's rows, empty when it did not run
 * @param idleNote      how the idle-connections family ran, or why it did not
 * @param started       the start time with its time zone
 * @param machineLoad   the load average before the run, before each family, and after the run
 */
record Results(Machine machine, String profileLine, String started, double seconds, List<Row> rows,
               List<LoadResult> loads, String loadNote, List<HttpResult> http, String httpNote, String httpGenerator,
               List<CpuBreakdown.Result> httpCpu, String httpCpuNote,
               List<IsolationResult> isolation, String isolationNote, List<IdleResult> idle, String idleNote,
               List<MachineLoad> machineLoad) {

    /** The busy-machine warning for the report's header, or null. */
    String busyWarning() {
        return MachineLoad.busyWarning(machineLoad, machine.cpus());
    }

    /** The longest timer gap relative to the JDK's under the same hold (lower is better). */
    Ratios isolationRatio(IsolationResult r) {
        IsolationResult ref = isolation.stream().filter(x -> x.reference() && x.hold().equals(r.hold()) && x.measured())
                .findFirst().orElse(null);
        return ref == null || !r.measured() || !(ref.timerMax() > 0) ? new Ratios(Double.NaN, Double.NaN)
                : new Ratios(r.timerMax() / ref.timerMax(), Double.NaN);
    }

    /** Total memory per idle connection relative to the reference's (lower is leaner). */
    Ratios idleRatio(IdleResult r) {
        IdleResult ref = idle.stream().filter(x -> x.reference() && x.measured()).findFirst().orElse(null);
        return ref == null || !r.measured() || !(ref.totalKiBPerConn() > 0) ? new Ratios(Double.NaN, Double.NaN)
                : new Ratios(r.totalKiBPerConn() / ref.totalKiBPerConn(), Double.NaN);
    }

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

    /** The plain-Jetty baseline that served the workload fastest: the reference of throughput ratios. */
    HttpResult httpFastestBaseline(HttpWorkload w) {
        return http.stream().filter(h -> h.baseline() && h.workload() == w && h.measured())
                .max(java.util.Comparator.comparingDouble(HttpResult::requestsPerSecond)).orElse(null);
    }

    /** The plain-Jetty baseline that spent the least CPU per request: the reference of CPU ratios. */
    HttpResult httpLeanestBaseline(HttpWorkload w) {
        return http.stream().filter(h -> h.baseline() && h.workload() == w && h.measured())
                .min(java.util.Comparator.comparingDouble(HttpResult::cpuMicrosPerRequest)).orElse(null);
    }

    /** Throughput relative to the faster baseline under the same workload (higher is better). */
    Ratios httpThroughputRatio(HttpResult h) {
        HttpResult ref = httpFastestBaseline(h.workload());
        return ref == null || !h.measured() ? new Ratios(Double.NaN, Double.NaN)
                : new Ratios(h.requestsPerSecond() / ref.requestsPerSecond(), Double.NaN);
    }

    /** Server CPU per request relative to the leaner baseline under the same workload (lower is leaner). */
    Ratios httpCpuRatio(HttpResult h) {
        HttpResult ref = httpLeanestBaseline(h.workload());
        return ref == null || !h.measured() || !(ref.cpuMicrosPerRequest() > 0) ? new Ratios(Double.NaN, Double.NaN)
                : new Ratios(h.cpuMicrosPerRequest() / ref.cpuMicrosPerRequest(), Double.NaN);
    }
}
