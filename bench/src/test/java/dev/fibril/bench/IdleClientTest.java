/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The idle-connections client and the memory readings, against real sockets and a real process. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleClientTest {

    @Test
    void shouldKeepEveryAnsweredConnectionOpenFromSeveralSourceAddresses() throws Exception {
        try (TinyJettyServer server = new TinyJettyServer(new QueuedThreadPool()); IdleClient client = new IdleClient()) {
            int before = ServerMemory.sockets(ProcessHandle.current().pid());
            assertEquals(IdleClient.SOURCE_ADDRESSES + 4, client.open(server.base(), IdleClient.SOURCE_ADDRESSES + 4));
            assertEquals("", client.stall());
            assertEquals(IdleClient.SOURCE_ADDRESSES + 4, client.size());
            // this JVM holds both ends of each connection
            assertTrue(ServerMemory.sockets(ProcessHandle.current().pid()) >= before + 2 * client.size(),
                    "sockets: " + ServerMemory.sockets(ProcessHandle.current().pid()) + ", before " + before);
            client.closeAll(true);
            assertEquals(0, client.size());
        }
    }

    @Test
    void shouldStopAtTheFirstConnectionThatFailsAndSayWhy() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } // closed: connections are refused
        try (IdleClient client = new IdleClient()) {
            assertEquals(0, client.open(URI.create("http://127.0.0.1:" + port + "/"), 5));
            assertTrue(client.stall().startsWith("connection 1 failed (ConnectException)"), client.stall());
        }
    }

    @Test
    void shouldReadAServersRssLiveHeapAndSocketsAfterAFullGc(@TempDir Path dir) throws Exception {
        HttpServers.Started s = HttpServers.start(HttpServers.HELIDON, dir, List.of());
        try {
            ServerMemory m = ServerMemory.afterGc(s.process().pid());
            // the heap is pre-touched (512 MiB), so the RSS is larger; the live heap is a small part of it
            assertTrue(m.rssKiB() > 512 * 1024, "RSS of a pre-touched 512 MiB heap: " + m);
            assertTrue(m.liveHeapKiB() > 0 && m.liveHeapKiB() < 512 * 1024, m::toString);
            assertTrue(m.sockets() >= 1, "at least the listening socket: " + m);
        } finally {
            HttpServers.stop(s.process());
        }
    }
}
