/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

/**
 * One runtime under one hold of the isolation family, over the rounds run. Times in milliseconds.
 *
 * @param timerP50 gaps of a fibril that sleeps 1 ms in a loop (asked: 1 ms), while the carrier is held
 * @param echoP50  echo round trips over loopback on the same carrier, while it is held
 * @param handoffs the runtime's hand-off count summed over the rounds, -1 where it has none
 * @param note     why the row has no numbers, else empty
 */
record IsolationResult(String runtime, boolean reference, String hold, double timerP50, double timerP99, double timerMax,
                       double echoP50, double echoP99, double echoMax, long timerSamples, long echoSamples, long handoffs,
                       String note) {

    static IsolationResult missing(String runtime, boolean reference, String hold, String why) {
        return new IsolationResult(runtime, reference, hold, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, 0, 0, -1, why);
    }

    boolean measured() {
        return note.isEmpty();
    }
}
