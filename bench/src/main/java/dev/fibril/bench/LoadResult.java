/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

/**
 * One echo-load measurement: a server, a message size and a connection count, over the rounds run.
 *
 * @param messagesPerSecond echoed messages per second, all connections together
 * @param p50Micros         round-trip latency percentiles, in microseconds, from HdrHistogram
 * @param cpuNanosPerMessage the server process's own CPU time (utime + stime) per echoed message
 * @param note              why the row has no numbers, else empty
 */
record LoadResult(String server, boolean reference, int messageBytes, int connections, double messagesPerSecond,
                  double messagesPerSecondError, double p50Micros, double p99Micros, double p999Micros,
                  double cpuNanosPerMessage, String note) {

    String group() {
        return messageBytes + " B, " + connections + " connections";
    }

    boolean measured() {
        return note.isEmpty();
    }
}
