/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.it.ChildJvm;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The FibrilConnector in the documented fallback: a JVM without the scheduler flag runs fibrils on
 * the JDK's default scheduler, and the end point's channel calls cross to the carriers from there.
 * It must still serve (small responses and a large file) without starting fibrils in a loop.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HttpWithoutSchedulerFlagTest {
    /** A few per connection and request; the defect started millions within seconds. */
    private static final long MOST_FIBRILS = 1_000;

    @Test
    void shouldServeOverEpollOnTheDefaultScheduler() throws Exception {
        check("epoll");
    }

    @Test
    void shouldServeOverIoUringOnTheDefaultScheduler() throws Exception {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
        check("io_uring");
    }

    private static void check(String backend) throws Exception {
        ChildJvm.Result r = ChildJvm.run(FallbackServerScenario.class, List.of("--enable-native-access=ALL-UNNAMED"), backend);
        String line = r.output().lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse(null);
        assertTrue(line != null, "no RESULT line: " + r.output());
        assertTrue(r.output().contains("default virtual-thread scheduler"), "ran in the fallback: " + r.output());
        assertTrue(line.contains("hello=Hello,_World!"), line);
        assertTrue(line.contains("big=ok"), line);
        long fibrils = Long.parseLong(line.substring(line.indexOf("fibrils=") + "fibrils=".length()).trim());
        assertTrue(fibrils <= MOST_FIBRILS, "fibrils started: " + fibrils);
        assertEquals(0, r.exitCode(), r.output());
    }
}
