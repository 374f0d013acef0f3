/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** wrk's output, as recorded from real wrk 4.1.0 runs (src/test/resources/wrk), read back into numbers. */
class WrkOutputTest {

    @Test
    void shouldReadRequestsDurationAndPercentiles() throws IOException {
        HttpRun r = WrkOutput.parse(sample("hello.txt"));
        assertEquals(9736, r.requests());
        assertEquals(1.06, r.seconds(), 1e-9);
        assertEquals(6_760, r.p50Micros(), 1e-6);
        assertEquals(102_860, r.p99Micros(), 1e-6);
        assertEquals(0, r.non2xx());
        assertEquals(0, r.socketErrors());
        assertFalse(r.failed());
    }

    @Test
    void shouldReadTheEchoRunsScriptedPost() throws IOException {
        HttpRun r = WrkOutput.parse(sample("echo.txt"));
        assertEquals(8832, r.requests());
        assertEquals(161_800, r.p99Micros(), 1e-6);
        assertFalse(r.failed());
    }

    @Test
    void shouldFailTheRunThatGotNon2xxResponses() throws IOException {
        HttpRun r = WrkOutput.parse(sample("non2xx.txt"));
        assertEquals(8791, r.non2xx());
        assertTrue(r.failed());
        assertTrue(r.failure().contains("8791 non-2xx"), r.failure());
    }

    @Test
    void shouldFailTheRunThatHadSocketErrors() throws IOException {
        HttpRun r = WrkOutput.parse(sample("socket-errors.txt"));
        assertEquals(100 + 149_700, r.socketErrors());
        assertTrue(r.failed());
        assertTrue(r.failure().contains("read 100, write 149700"), r.failure());
    }

    @Test
    void shouldReadEveryTimeUnitWrkPrints() {
        String text = "  Latency Distribution\n     50%  812.00us\n     75%    1.00ms\n     90%    1.50s\n     99%    1.20m\n"
                + "  5 requests in 1.00m, 1.00KB read\n";
        HttpRun r = WrkOutput.parse(text);
        assertEquals(812, r.p50Micros(), 1e-9);
        assertEquals(72e6, r.p99Micros(), 1e-3);
        assertEquals(60, r.seconds(), 1e-9);
    }

    @Test
    void shouldRejectOutputWithoutTheLatencyDistribution() {
        assertThrows(IllegalArgumentException.class, () -> WrkOutput.parse("  10 requests in 1.00s, 1KB read\n"));
        assertThrows(IllegalArgumentException.class, () -> WrkOutput.parse("unable to connect to 127.0.0.1:1 Connection refused\n"));
    }

    @Test
    void shouldWriteAPostScriptWithTheWholeBody() {
        String lua = Wrk.luaScript(HttpWorkload.ECHO);
        assertTrue(lua.contains("wrk.method = \"POST\""));
        assertTrue(lua.contains("string.rep(\"x\", 4096)"));
        assertTrue(lua.contains("wrk.headers[\"Content-Type\"]"));
    }

    private static String sample(String name) throws IOException {
        try (InputStream in = WrkOutputTest.class.getResourceAsStream("/wrk/" + name)) {
            assertTrue(in != null, "missing test resource wrk/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
