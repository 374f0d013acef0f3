/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the text wrk 4.1 prints with {@code --latency}: the request count and duration, the 50% and
 * 99% lines of the latency distribution, the socket-error line and the non-2xx line (wrk prints
 * the last two only when they are not zero).
 */
final class WrkOutput {
    private static final Pattern REQUESTS = Pattern.compile("(?m)^\\s*(\\d+) requests in ([\\d.]+)(us|ms|s|m|h)");
    private static final Pattern PERCENTILE = Pattern.compile("(?m)^\\s*(50|99)(?:\\.0+)?%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$");
    private static final Pattern SOCKET_ERRORS = Pattern.compile(
            "(?m)^\\s*Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON_2XX = Pattern.compile("(?m)^\\s*Non-2xx or 3xx responses: (\\d+)");

    private WrkOutput() {
    }

    /**
     * The run wrk's standard output describes.
     *
     * @throws IllegalArgumentException when the text lacks the request count or the latency
     *     distribution (wrk failed before it measured, or ran without {@code --latency})
     */
    static HttpRun parse(String text) {
        Matcher r = REQUESTS.matcher(text);
        if (!r.find()) {
            throw new IllegalArgumentException("no 'N requests in T' line in wrk's output");
        }
        long requests = Long.parseLong(r.group(1));
        double seconds = micros(r.group(2), r.group(3)) / 1e6;
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        Matcher p = PERCENTILE.matcher(text);
        while (p.find()) {
            double v = micros(p.group(2), p.group(3));
            if (p.group(1).equals("50")) {
                p50 = v;
            } else {
                p99 = v;
            }
        }
        if (Double.isNaN(p50) || Double.isNaN(p99)) {
            throw new IllegalArgumentException("no 50% and 99% latency lines in wrk's output (run it with --latency)");
        }
        long socketErrors = 0;
        String detail = "";
        Matcher e = SOCKET_ERRORS.matcher(text);
        if (e.find()) {
            for (int i = 1; i <= 4; i++) {
                socketErrors += Long.parseLong(e.group(i));
            }
            detail = String.format(Locale.ROOT, "connect %s, read %s, write %s, timeout %s",
                    e.group(1), e.group(2), e.group(3), e.group(4));
        }
        Matcher n = NON_2XX.matcher(text);
        long non2xx = n.find() ? Long.parseLong(n.group(1)) : 0;
        return new HttpRun(requests, seconds, p50, p99, non2xx, socketErrors, detail);
    }

    /** wrk's time units (format_time_us and format_time_s in its units.c) in microseconds. */
    private static double micros(String value, String unit) {
        double v = Double.parseDouble(value);
        return switch (unit) {
            case "us" -> v;
            case "ms" -> v * 1e3;
            case "s" -> v * 1e6;
            case "m" -> v * 60e6;
            case "h" -> v * 3600e6;
            default -> throw new IllegalArgumentException("unknown wrk time unit " + unit);
        };
    }
}
