/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The idle-connections family's readings and its part of the reports. */
class IdleReportTest {

    @Test
    void shouldReadVmRssFromAProcessStatus() {
        String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  700000 kB\nVmRSS:\t  612345 kB\nRssAnon:\t  600000 kB\n";
        assertEquals(612_345, ServerMemory.vmRssKiB(status));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerMemory.vmRssKiB("Name:\tjava\n"));
        assertTrue(e.getMessage().contains("VmRSS"), e.getMessage());
    }

    @Test
    void shouldReadTheLiveBytesFromTheHistogramsTotalLine() {
        String histogram = """
                12345:
                 num     #instances         #bytes  class name (module)
                -------------------------------------------------------
                   1:         20113        2811720  [B (java.base@25.0.3)
                   2:          5000         120000  java.lang.String (java.base@25.0.3)
                Total         25113        2931720
                """;
        assertEquals(2_931_720, ServerMemory.histogramTotalBytes(histogram));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerMemory.histogramTotalBytes("12345:\nCould not find class histogram"));
        assertTrue(e.getMessage().contains("Could not find"), "names what jcmd said: " + e.getMessage());
    }

    @Test
    void shouldSumAPrometheusGaugeOverItsSeries() {
        String metrics = """
                # HELP fibril_descriptors_in_use Descriptors taken
                # TYPE fibril_descriptors_in_use gauge
                fibril_descriptors_in_use{carrier="0"} 4096.0
                fibril_descriptors_in_use{carrier="1"} 4095.0
                fibril_descriptors_in_use_total 3.0
                """;
        assertEquals(8191.0, IdleLoad.gaugeSum(metrics, "fibril_descriptors_in_use"), "a longer name is another metric");
        assertTrue(Double.isNaN(IdleLoad.gaugeSum(metrics, "fibril_descriptors_bound")));
    }

    @Test
    void shouldTakeTheRatioOfTotalsAgainstTheReference() {
        Results r = HtmlReportTest.sample();
        assertEquals(20.0 / 5.0, r.idleRatio(r.idle().get(0)).ratio(), 1e-9);
        assertEquals(1.0, r.idleRatio(r.idle().get(1)).ratio(), 1e-9);
        assertTrue(Double.isNaN(r.idleRatio(r.idle().get(2)).ratio()), "no numbers, no ratio");
    }

    @Test
    void shouldShowEveryServerWithItsStallOrResetInEachReport() {
        Results r = HtmlReportTest.sample();
        for (String report : new String[] {IdleReport.terminal(r), IdleReport.markdown(r), IdleReport.html(r)}) {
            assertTrue(report.contains(IdleReport.TITLE), report);
            assertTrue(report.contains("Jetty + FibrilConnector, epoll") && report.contains("stalled at 8,191 open connections"), report);
            assertTrue(report.contains("12 still open after 20 s"), report);
            assertTrue(report.contains("20.0") && report.contains("4.00×"), "total and ratio: " + report);
        }
        assertTrue(IdleReport.markdown(r).contains("| **Jetty ServerConnector + VirtualThreadPool** | 2,000 | 1.00 |"), IdleReport.markdown(r));
    }
}
