/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

/**
 * One measured (or skipped) line of the report.
 *
 * @param score      mean, in {@code unit}
 * @param error      half-width of the 99.9% confidence interval, NaN when too few samples
 * @param bytesPerOp allocation per operation from the gc profiler, NaN when not measured
 * @param note       why the row has no score (skipped or failed), else empty
 */
record Row(String family, String group, String label, boolean reference, double score, double error, String unit,
           double bytesPerOp, String note) {

    static Row missing(Case c, String why) {
        return new Row(c.family(), c.group(), c.label(), c.reference(), Double.NaN, Double.NaN, "", Double.NaN, why);
    }

    boolean measured() {
        return !Double.isNaN(score);
    }
}
