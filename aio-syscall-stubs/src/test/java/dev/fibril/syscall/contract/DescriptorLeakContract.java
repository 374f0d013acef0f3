/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend and its rings, used for files and sockets, with requests still waiting on both rings
 * when their descriptors close, leave no descriptor behind: neither in the backend's count nor in
 * the process's /proc/self/fd.
 */
public abstract class DescriptorLeakContract {
    private final BackendKind kind;
    @TempDir
    Path dir;

    protected DescriptorLeakContract(BackendKind kind) {
        this.kind = kind;
    }

    @Test
    void shouldLeaveNoDescriptorOpenAfterRingsFilesAndSocketsAreClosed() throws Exception {
        exercise(); // first run loads classes and opens the JDK's own jar and pipe descriptors
        long before = openFds();
        for (int i = 0; i < 3; i++) {
            exercise();
        }
        assertEquals(before, openFds(), "descriptors in /proc/self/fd");
    }

    private void exercise() {
        try (Backend backend = kind.open()) {
            CompletionRing ring = backend.openRing(0);
            CompletionRing second = backend.openRing(1);
            RingDriver driver = new RingDriver(ring);
            RingDriver secondDriver = new RingDriver(second);
            int fd = backend.open(dir.resolve("leak").toString(), Backend.O_RDWR | Backend.O_CREAT, 0644);
            assertEquals(4, driver.run(driver.request(Op.WRITE, fd, ByteBuffer.allocate(4), 0, 4, 0)));

            int server = backend.socket();
            assertEquals(0, backend.listen(server, new InetSocketAddress("127.0.0.1", 0), 4));
            int client = backend.socket();
            IoRequest accept = driver.request(Op.ACCEPT, server, null, 0, 0, 0);
            IoRequest connect = driver.connect(client, backend.localAddress(server));
            driver.enqueue(accept, connect);
            assertEquals(0, driver.complete(connect));
            int accepted = driver.complete(accept);
            assertTrue(accepted >= 0);
            // requests pending at close time, on both rings: cancelled by the backend's close(fd)
            IoRequest recv = driver.request(Op.RECV, accepted, ByteBuffer.allocate(8), 0, 8, 0);
            IoRequest otherRecv = secondDriver.request(Op.RECV, client, ByteBuffer.allocate(8), 0, 8, 0);
            IoRequest pendingAccept = secondDriver.request(Op.ACCEPT, server, null, 0, 0, 0);
            driver.enqueue(recv);
            secondDriver.enqueue(otherRecv, pendingAccept);
            assertFalse(driver.isComplete(recv), "parked: nothing sent");
            assertFalse(secondDriver.isComplete(otherRecv), "parked: nothing sent");
            assertFalse(secondDriver.isComplete(pendingAccept), "parked: nobody connects");

            for (int open : new int[] {fd, server, client, accepted}) {
                assertEquals(0, backend.close(open));
            }
            driver.complete(recv);
            secondDriver.complete(otherRecv);
            secondDriver.complete(pendingAccept);
            assertEquals(0, backend.openDescriptors());
            ring.close();
            second.close();
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
