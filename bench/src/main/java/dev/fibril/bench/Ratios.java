/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.List;

/** A row's ratio to its group's reference, with the error of a quotient (relative errors in quadrature). */
record Ratios(double ratio, double error) {

    static Ratios of(Row row, List<Row> all) {
        Row ref = all.stream().filter(r -> r.reference() && r.group().equals(row.group())).findFirst().orElse(null);
        if (ref == null || !ref.measured() || !row.measured() || ref.score() == 0) {
            return new Ratios(Double.NaN, Double.NaN);
        }
        double ratio = row.score() / ref.score();
        double a = relative(row);
        double b = relative(ref);
        double err = Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : ratio * Math.sqrt(a * a + b * b);
        if (row == ref) {
            err = 0;
        }
        return new Ratios(ratio, err);
    }

    private static double relative(Row r) {
        return Double.isNaN(r.error()) ? Double.NaN : r.error() / r.score();
    }
}
