/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java load client and the pre-flight check against a real Jetty server in this JVM, so the
 * HTTP harness is tested where wrk is not installed. Counts, never speeds.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpLoadClientTest {
    private static TinyJettyServer server;

    @BeforeAll
    static void startJetty() throws Exception {
        server = new TinyJettyServer(new QueuedThreadPool());
    }

    @AfterAll
    static void stopJetty() throws Exception {
        server.close();
    }

    @Test
    void shouldCompleteHelloRequestsWithoutErrors() throws Exception {
        HttpRun r = new HttpLoadClient().run(server.base(), HttpWorkload.HELLO, 8, 1000);
        assertTrue(r.requests() > 0, "no request completed");
        assertFalse(r.failed(), r::failure);
        assertTrue(r.p50Micros() > 0 && r.p99Micros() >= r.p50Micros(), () -> r.p50Micros() + " / " + r.p99Micros());
    }

    @Test
    void shouldCompleteChunkedEchoRequestsWithoutErrors() throws Exception {
        HttpRun r = new HttpLoadClient().run(server.base(), HttpWorkload.ECHO, 8, 1000);
        assertTrue(r.requests() > 0, "no request completed");
        assertFalse(r.failed(), r::failure);
    }

    @Test
    void shouldCountNon2xxResponsesAsAFailedRun() throws Exception {
        URI nowhere = server.base().resolve("nowhere/");
        HttpRun r = new HttpLoadClient().run(nowhere, HttpWorkload.HELLO, 2, 1000);
        assertTrue(r.requests() > 0, "no request completed");
        assertEquals(r.requests(), r.non2xx());
        assertTrue(r.failed());
    }

    @Test
    void shouldPassThePreFlightCheckOfBothEndpoints() throws Exception {
        HttpLoad.check(server.base());
    }
}
