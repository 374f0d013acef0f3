/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What only the simulated file system has: a size cap, unlink, its own fd numbers and file contents to look at. */
class SimulatedFileSystemTest {
    private static final int RW = Backend.O_RDWR | Backend.O_CREAT;

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void shouldFailAWriteBeyondTheMaximumFileSizeWithEfbig() {
        try (SimulatedKernel kernel = SimulatedKernel.builder().maxFileSize(1024).build();
             SimulatedRing ring = kernel.openRing(0)) {
            RingDriver driver = new RingDriver(ring);
            int fd = kernel.open("/small", RW, 0);
            assertEquals(-Errno.EFBIG, driver.run(driver.request(Op.WRITE, fd, bytes("xy"), 0, 2, 1023)));
            assertEquals(2, driver.run(driver.request(Op.WRITE, fd, bytes("xy"), 0, 2, 1022)));
        }
    }

    @Test
    void shouldKeepContentReachableThroughAnOpenFdAfterUnlink() {
        try (SimulatedKernel kernel = SimulatedKernel.builder().build(); SimulatedRing ring = kernel.openRing(0)) {
            RingDriver driver = new RingDriver(ring);
            int fd = kernel.open("/gone", RW, 0);
            assertEquals(10, driver.run(driver.request(Op.WRITE, fd, bytes("still here"), 0, 10, 0)));
            assertEquals(0, kernel.unlink("/gone"));
            assertNull(kernel.fileContent("/gone"));
            ByteBuffer dst = ByteBuffer.allocate(10);
            assertEquals(10, driver.run(driver.request(Op.READ, fd, dst, 0, 10, 0)));
            assertEquals("still here", new String(dst.array(), StandardCharsets.US_ASCII));
            assertEquals(-Errno.ENOENT, kernel.unlink("/gone"));
            assertEquals(DescriptorTable.FIRST_FD, fd);
            assertEquals(0, kernel.close(fd));
        }
    }
}
