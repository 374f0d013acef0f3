/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

/**
 * One measured load-generator run against one HTTP server: what wrk printed, or what the Java
 * fallback client counted.
 *
 * @param requests      responses completed in the run
 * @param seconds       the run's duration as the generator measured it
 * @param p50Micros     median latency, in microseconds
 * @param p99Micros     99th-percentile latency, in microseconds
 * @param non2xx        responses whose status was not 2xx (wrk: "Non-2xx or 3xx responses")
 * @param socketErrors  connect, read, write and timeout errors together
 * @param errorDetail   the generator's own words for the errors, else empty
 */
record HttpRun(long requests, double seconds, double p50Micros, double p99Micros, long non2xx, long socketErrors,
               String errorDetail) {

    double requestsPerSecond() {
        return seconds > 0 ? requests / seconds : 0;
    }

    /** A run with any error or non-2xx response does not count: its numbers are not averaged in. */
    boolean failed() {
        return requests == 0 || non2xx > 0 || socketErrors > 0;
    }

    /** Why the run failed, for the report; empty when it did not. */
    String failure() {
        if (!failed()) {
            return "";
        }
        StringBuilder s = new StringBuilder();
        if (requests == 0) {
            s.append("no request completed");
        }
        if (non2xx > 0) {
            s.append(s.isEmpty() ? "" : ", ").append(non2xx).append(" non-2xx responses");
        }
        if (socketErrors > 0) {
            s.append(s.isEmpty() ? "" : ", ").append("socket errors: ").append(errorDetail);
        }
        return s.toString();
    }
}
