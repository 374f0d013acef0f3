/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.Locale;

/** Number formatting shared by the terminal, Markdown and HTML reports. */
final class Fmt {
    private Fmt() {
    }

    /** Three significant figures or so; "–" for NaN. */
    static String num(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        double a = Math.abs(v);
        String f = a >= 100 ? "%,.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, f, v);
    }

    static String pm(double value, double error) {
        return Double.isNaN(error) ? num(value) : num(value) + " ± " + num(error);
    }

    /** What the reports say under a table whose ratios may carry {@link #NOT_SIGNIFICANT}. */
    static final String NOT_SIGNIFICANT_LEGEND = "n.s.: the ratio's interval includes 1, so this run cannot tell the two apart.";
    static final String NOT_SIGNIFICANT = " (n.s.)";

    /** The ratio and its error; marked n.s. when the interval ratio ± error includes 1. */
    static String ratio(Ratios r) {
        if (Double.isNaN(r.ratio())) {
            return "–";
        }
        String s = num(r.ratio()) + "×";
        if (Double.isNaN(r.error()) || r.error() == 0) {
            return s;
        }
        return s + " ± " + num(r.error()) + (Math.abs(r.ratio() - 1) <= r.error() ? NOT_SIGNIFICANT : "");
    }

    static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
