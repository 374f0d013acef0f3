/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty.demo;

import dev.fibril.demo.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoServerOptionsTest {

    private static String usageError(String... args) {
        return assertThrows(CommandLine.UsageException.class, () -> DemoServer.parse(args), String.join(" ", args)).getMessage();
    }

    @Test
    void shouldBindToLoopbackByDefault() throws Exception {
        // --files is only served when asked for: by default nothing but the loopback sees the server
        try (DemoServer s = DemoServer.start(DemoServer.parse(new String[] {"--port", "0", "--backend", "epoll", "--carriers", "1"}))) {
            assertEquals("127.0.0.1", s.uri().getHost());
            assertEquals("127.0.0.1", s.connector().getHost());
            assertTrue(s.describe().startsWith("Fibril serve: http://127.0.0.1:" + s.port() + "/hello "), s.describe());
        }
    }

    @Test
    void shouldReadEveryOption(@TempDir Path dir) {
        DemoServer.Options o = DemoServer.parse(new String[] {"--host", "0.0.0.0", "--port", "0", "--backend", "io_uring",
                "--files", dir.toString(), "--connector", "server", "--pool", "virtual", "--carriers", "2",
                "--idle-timeout-ms", "1000", "--max-threads", "8", "--no-request-timing"});
        assertEquals(DemoServer.ConnectorKind.SERVER, o.connectorKind());
        assertEquals(DemoServer.PoolKind.VIRTUAL, o.poolKind());
    }

    @Test
    void shouldRejectBadOptionsWithOneClearMessage(@TempDir Path dir) throws Exception {
        assertEquals("--port needs a number, not 'abc'", usageError("--port", "abc"));
        assertEquals("--backend takes io_uring, epoll, not 'foo'", usageError("--backend", "foo"));
        assertEquals("--files: /nonexistent-adopt does not exist", usageError("--files", "/nonexistent-adopt"));
        Path file = Files.writeString(dir.resolve("f"), "x");
        assertEquals("--files: " + file + " is not a directory", usageError("--files", file.toString()));
        assertEquals("unknown option --bogus", usageError("--bogus"));
        assertEquals("--pool takes fibril, queued, virtual, not 'x'", usageError("--pool", "x"));
        assertEquals("--carriers must be between 1 and 1024, not 0", usageError("--carriers", "0"));
        assertEquals("--port needs a value", usageError("--port"));
    }
}
