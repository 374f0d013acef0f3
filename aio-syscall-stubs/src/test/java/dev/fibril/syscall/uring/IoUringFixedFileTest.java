/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Registered files on one ring ({@link IoUringRing#registerFiles}, {@link IoRequest#FLAG_FIXED_FILE}):
 * a request names its socket by index, an index past the table fails with EBADF, and a ring
 * registers its files once.
 */
class IoUringFixedFileTest extends IoUringTestBase {
    private int[] pair;

    @AfterEach
    void closeSockets() {
        if (pair != null) {
            assertEquals(0, ring.inFlight(), "requests left in flight");
            ring.close(); // drops the table's references before the fds close
            for (int fd : pair) {
                assertEquals(0, backend.close(fd));
            }
            backend.close();
            ring = null; // closed already
        }
    }

    @Test
    void shouldSendAndReceiveThroughRegisteredIndexes() {
        pair = driver.connectedPair(backend);
        assertEquals(0, ring.registerFiles(pair[1], pair[0])); // index 0: the accepted end, 1: the client
        ByteBuffer out = ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII));
        assertEquals(4, driver.run(fixed(RingDriver.request(Op.SEND, 1, out, 0, 4, 0))));
        ByteBuffer in = ByteBuffer.allocateDirect(16);
        assertEquals(4, driver.run(fixed(RingDriver.request(Op.RECV, 0, in, 0, 16, 0))));
        byte[] got = new byte[4];
        in.get(0, got);
        assertEquals("ping", new String(got, StandardCharsets.US_ASCII));
        assertEquals(-Errno.EBADF, driver.run(fixed(RingDriver.request(Op.RECV, 2, in, 0, 16, 0))), "past the table");
        assertEquals(-Errno.EBUSY, ring.registerFiles(pair[0]), "files are registered already");
    }

    private static IoRequest fixed(IoRequest r) {
        r.flags(IoRequest.FLAG_FIXED_FILE);
        return r;
    }
}
