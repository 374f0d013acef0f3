/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fibril.jetty.demo.DemoServer;
import java.util.regex.Matcher;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP comparison's server launcher: announce words and labels, and each peer started in its
 * own JVM on its own class path, answering both endpoints as the demo server does.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HttpServersTest {
    @TempDir
    Path dir;

    @Test
    void shouldReadTheKeyValueWordsOfAnAnnounceLine() {
        Map<String, String> w = HttpServers.words("(also /echo; Ctrl-C stops it) connector=fibril  backend=io_uring fallback=a=b");
        assertEquals(List.of("connector", "backend", "fallback"), List.copyOf(w.keySet()));
        assertEquals("io_uring", w.get("backend"));
        assertEquals("a=b", w.get("fallback"), "the first '=' splits");
    }

    @Test
    void shouldRecognizeTheAnnounceLinesOfTheDemoServerAndThePeers() throws Exception {
        try (DemoServer demo = DemoServer.start(new DemoServer.Options().connector(DemoServer.ConnectorKind.SERVER).port(0))) {
            Matcher m = HttpServers.ANNOUNCE.matcher(demo.describe());
            assertTrue(m.matches(), demo.describe());
            assertEquals(demo.uri().toString(), m.group(1));
            assertEquals("server", HttpServers.words(m.group(2)).get("connector"));
        }
        Matcher m = HttpServers.ANNOUNCE.matcher(Peers.announce(8080, "server=vertx transport=io_uring"));
        assertTrue(m.matches());
        assertEquals("http://127.0.0.1:8080/", m.group(1));
        assertEquals("io_uring", HttpServers.words(m.group(2)).get("transport"));
        assertFalse(HttpServers.ANNOUNCE.matcher("Fibril serve http://127.0.0.1:1/").matches(), "the colon belongs to the prefix");
    }

    @Test
    void shouldNameAPeerByWhatItAnnounced() {
        assertEquals("Vert.x 5.0.12 HttpServer, Netty nio", HttpServers.VERTX.label(Map.of("version", "5.0.12", "transport", "nio")));
        assertEquals("Vert.x HttpServer, Netty ?", HttpServers.VERTX.label(Map.of()), "not started: no version, transport unknown");
        assertEquals(HttpServers.SERVER_QUEUED.label(), HttpServers.SERVER_QUEUED.label(Map.of("version", "1")));
    }

    @Test
    void shouldStartHelidonOnItsOwnClassPathAnsweringBothEndpoints() throws Exception {
        HttpServers.Started s = HttpServers.start(HttpServers.HELIDON, dir, List.of());
        try {
            assertEquals("helidon", s.words().get("server"));
            assertEquals("virtual", s.words().get("threads"));
            HttpLoad.check(s.base());
        } finally {
            HttpServers.stop(s.process());
        }
    }

    @Test
    void shouldStartVertxOnIoUringWhereTheKernelAllowsIt() throws Exception {
        HttpServers.Started s = HttpServers.start(HttpServers.VERTX, dir, List.of());
        try {
            assertEquals("vertx", s.words().get("server"));
            if (Machine.current().ioUringAvailable()) {
                assertEquals("io_uring", s.words().get("transport"), s.words()::toString);
                assertTrue(HttpServers.ioUringRings(s.process().pid()) > 0, "io_uring announced but no ring is open");
            } else {
                assertEquals("nio", s.words().get("transport"), s.words()::toString);
                assertTrue(s.words().containsKey("fallback"), "a fallback says why");
            }
            HttpLoad.check(s.base());
        } finally {
            HttpServers.stop(s.process());
        }
    }
}
