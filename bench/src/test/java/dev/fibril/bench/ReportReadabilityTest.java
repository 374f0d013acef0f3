/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What a reader of the report needs: labels clear of whiskers, units shown, direction, significance, machine load. */
class ReportReadabilityTest {
    private static final Pattern WHISKER = Pattern.compile("<path d=\"M([0-9.]+) (\\d+) H([0-9.]+)");
    private static final Pattern VALUE = Pattern.compile("<text class=\"value\" x=\"([0-9.]+)\" y=\"(\\d+)\">");
    private static final Pattern TEXT_X = Pattern.compile("<text[^>]* x=\"([0-9.]+)\"[^>]*>([^<]*)<");

    private static Results sample() {
        return HtmlReportTest.sample();
    }

    @Test
    void shouldDrawEachValueLabelRightOfItsWhisker() {
        List<Row> rows = new ArrayList<>(sample().rows());
        // an interval wider than the value, as platform threads' switch cost had in a real run
        rows.add(new Row(Catalog.SWITCH, Catalog.SWITCH, "noisy", false, 8_732, 11_577, "ns/op", 0.7, ""));
        String svg = HtmlReport.costChart("t", rows);
        Matcher w = WHISKER.matcher(svg);
        int whiskers = 0;
        while (w.find()) {
            double whiskerEnd = Double.parseDouble(w.group(3));
            int whiskerY = Integer.parseInt(w.group(2));
            Matcher v = VALUE.matcher(svg);
            boolean found = false;
            while (v.find()) {
                if (Integer.parseInt(v.group(2)) == whiskerY + 4) {
                    assertTrue(Double.parseDouble(v.group(1)) > whiskerEnd, "label at " + v.group(1) + " over the whisker ending at " + whiskerEnd);
                    found = true;
                }
            }
            assertTrue(found, "a value label on the whisker's row");
            whiskers++;
        }
        assertEquals(3, whiskers, "three rows have an error");
    }

    @Test
    void shouldKeepEveryTextInsideTheChartAndShowTheUnitOnce() {
        for (String svg : List.of(HtmlReport.costChart("t", sample().rows()), HtmlReport.latencyChart(sample().loads()),
                HttpReport.throughputChart(sample().http()), HttpReport.cpuChart(sample().http()))) {
            Matcher t = TEXT_X.matcher(svg);
            while (t.find()) {
                double x = Double.parseDouble(t.group(1));
                String text = t.group(2);
                boolean endAnchored = svg.substring(t.start(), t.end()).contains("text-anchor=\"end\"");
                double right = endAnchored ? x : x + 7.5 * text.length(); // a generous 12px sans-serif glyph width
                assertTrue(right <= 900, "'" + text + "' runs past the right edge (" + right + ")");
            }
            assertTrue(svg.contains("class=\"unit\""), "the axis names its unit");
        }
    }

    @Test
    void shouldSayWhichWayIsBetterOnEveryChart() {
        assertTrue(HtmlReport.costChart("t", sample().rows()).contains("lower is better"));
        assertTrue(HtmlReport.latencyChart(sample().loads()).contains("lower is better"));
        assertTrue(HttpReport.throughputChart(sample().http()).contains("higher is better"));
        assertTrue(HttpReport.cpuChart(sample().http()).contains("lower is better"));
    }

    @Test
    void shouldStartTheLogAxisBelowTheSmallestValue() {
        for (double lo : new double[] {1000, 825, 1, 0.5, 99.99}) {
            HtmlReport.LogAxis axis = HtmlReport.LogAxis.spanning(lo, lo * 50, 0, 100);
            assertTrue(axis.min() < lo, "axis from " + axis.min() + " for a smallest value of " + lo);
            assertTrue(axis.x(lo) > 0, "the smallest value has a bar");
        }
        List<HtmlReport.Percentiles> rows = new ArrayList<>();
        rows.add(new HtmlReport.Percentiles("a", new double[] {1000, 5000, 9000}));
        String svg = HtmlReport.percentileChart(rows, new String[] {"p50", "p99", "p99.9"}, "x");
        assertTrue(svg.contains(">100<"), "the axis of a 1,000 µs p50 starts at 100 µs: " + svg);
    }

    @Test
    void shouldMarkRatiosWhoseIntervalIncludesOne() {
        assertEquals("1.10× ± 0.200 (n.s.)", Fmt.ratio(new Ratios(1.1, 0.2)));
        assertEquals("0.900× ± 0.100 (n.s.)", Fmt.ratio(new Ratios(0.9, 0.1)));
        assertEquals("1.80× ± 0.100", Fmt.ratio(new Ratios(1.8, 0.1)));
        assertEquals("1.00×", Fmt.ratio(new Ratios(1, 0)), "the reference itself is not marked");
        assertEquals("0.700×", Fmt.ratio(new Ratios(0.7, Double.NaN)), "no interval, no mark");
        assertTrue(TextReport.markdown(sample()).contains(Fmt.NOT_SIGNIFICANT_LEGEND), "the mark is explained");
    }

    @Test
    void shouldPrintTheStartTimeWithItsZone() {
        ZonedDateTime t = ZonedDateTime.of(2026, 11, 27, 8, 26, 7, 0, ZoneId.of("Europe/Paris"));
        assertEquals("2026-11-27 08:26:07 +01:00 (Europe/Paris)", BenchMain.startLabel(t));
    }

    @Test
    void shouldRecordTheMachineLoadAndWarnWhenBusyBeforeTheRun() {
        MachineLoad quiet = MachineLoad.parse("before the run", "0.52 0.40 0.33 1/123 4567\n");
        assertEquals(0.52, quiet.oneMinute());
        assertEquals(0.33, quiet.fifteenMinutes());
        assertNull(MachineLoad.busyWarning(List.of(quiet), 2));
        MachineLoad busy = MachineLoad.parse("before the run", "1.80 1.20 0.90 3/200 99");
        String warning = MachineLoad.busyWarning(List.of(busy, quiet), 2);
        assertTrue(warning != null && warning.contains("1.80 on 2 CPUs"), warning);
        assertNull(MachineLoad.busyWarning(List.of(quiet, busy), 2), "only the first sample is free of the run's own load");
        assertNull(MachineLoad.busyWarning(List.of(new MachineLoad("before the run", Double.NaN, Double.NaN, Double.NaN)), 2));

        Results r = sample();
        String md = TextReport.markdown(r);
        assertTrue(md.contains("before the run: 0.10 / 0.20 / 0.30; after the run: 1.50 / 0.90 / 0.40"), md);
        assertFalse(md.contains("Warning: the machine was busy"), "the sample run was quiet");
        assertTrue(HtmlReport.render(r).contains("before the run: 0.10 / 0.20 / 0.30"));
    }
}
