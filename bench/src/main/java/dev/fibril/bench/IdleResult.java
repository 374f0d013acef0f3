/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

/**
 * One server of the idle-connections family, over the rounds in which every connection opened.
 *
 * @param reference        the server the ratios are taken against
 * @param connections      idle connections asked for per round
 * @param roundsOk         rounds in which all of them opened and answered; only these are in the numbers
 * @param rssKiBPerConn    (VmRSS with the connections − VmRSS before), both after a full GC, per connection; median
 * @param rssKiBPerConnMin the smallest round, with {@code rssKiBPerConnMax} the spread
 * @param heapKiBPerConn   live Java heap growth per connection after a full GC; median
 * @param closeSeconds     slowest round's wait until the server's sockets were back to the baseline after the client closed (FIN)
 * @param reset            what became of connections the client reset (RST): freed in how long, or how many stayed
 * @param note             stalled or failed rounds and why, or why there are no numbers; empty when all ran clean
 */
record IdleResult(String server, boolean reference, int connections, int roundsOk, double rssKiBPerConn,
                  double rssKiBPerConnMin, double rssKiBPerConnMax, double heapKiBPerConn, double closeSeconds,
                  String reset, String note) {

    static IdleResult missing(String server, boolean reference, int connections, String reset, String why) {
        return new IdleResult(server, reference, connections, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, reset, why);
    }

    boolean measured() {
        return roundsOk > 0;
    }

    /** RSS and live heap growth per connection together: what an idle connection costs the process. */
    double totalKiBPerConn() {
        return rssKiBPerConn + heapKiBPerConn;
    }

    /** "min–max" of the clean rounds' RSS per connection, or "–" for one round. */
    String spread() {
        return roundsOk < 2 ? "–" : Fmt.num(rssKiBPerConnMin) + "–" + Fmt.num(rssKiBPerConnMax);
    }
}
