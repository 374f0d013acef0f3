/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

/**
 * One server under one workload of the HTTP comparison, over the rounds that ran clean.
 *
 * @param baseline            one of the two plain-Jetty servers the ratios are taken against
 * @param roundsOk            rounds without errors; only these are in the numbers
 * @param requestsPerSecond   median over the clean rounds
 * @param requestsPerSecondMin the slowest clean round, with {@code requestsPerSecondMax} the spread
 * @param p50Micros           median over the clean rounds of each round's p50
 * @param p99Micros           median over the clean rounds of each round's p99
 * @param cpuMicrosPerRequest the server process's utime + stime in the measured window per request,
 *                            median over the clean rounds
 * @param note                failed rounds and why, or why there are no numbers; empty when all ran clean
 */
record HttpResult(String server, boolean baseline, HttpWorkload workload, int roundsOk, double requestsPerSecond,
                  double requestsPerSecondMin, double requestsPerSecondMax, double p50Micros, double p99Micros,
                  double cpuMicrosPerRequest, String note) {

    static HttpResult missing(String server, boolean baseline, HttpWorkload workload, String why) {
        return new HttpResult(server, baseline, workload, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, why);
    }

    boolean measured() {
        return roundsOk > 0;
    }

    /** "min–max" of the clean rounds' throughput, or "–" for one round. */
    String spread() {
        return roundsOk < 2 ? "–" : Fmt.num(requestsPerSecondMin) + "–" + Fmt.num(requestsPerSecondMax);
    }
}
