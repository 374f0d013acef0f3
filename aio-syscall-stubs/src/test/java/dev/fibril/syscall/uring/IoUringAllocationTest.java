/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.contract.BackendFixture;
import dev.fibril.syscall.contract.BackendKind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The submit/complete path allocates nothing once warm: under 1 byte per operation on average.
 * Not a subclass of the allocation contract: its cycle calls every backend's ring from one call
 * site, and once the JIT has seen three ring types there it keeps 40 bytes per io_uring cycle that
 * a carrier, which drives one ring type, never allocates. Here the calls go to IoUringRing itself.
 */
class IoUringAllocationTest extends BackendFixture {
    private IoUringRing ring;

    IoUringAllocationTest() {
        super(BackendKind.IO_URING);
    }

    @BeforeEach
    void typed() {
        ring = (IoUringRing) super.ring;
    }


    private final IoRequest request = new IoRequest();
    private IoRequest lastRequest;
    private int lastResult;
    private final CompletionSink sink = (completed, result) -> {
        lastRequest = completed;
        lastResult = result;
    };

    @Test
    void shouldNotAllocateOnNopCycles() {
        double perOp = bytesPerCycle("NOP cycle", () -> cycle(Op.NOP, -1, null, 0, 0));
        assertEquals(0, lastResult);
        assertTrue(perOp < 1.0, perOp + " bytes per NOP");
    }

    @Test
    void shouldNotAllocateOnDirectBufferFileReadCycles() throws IOException {
        Path file = Files.createTempFile("fibril-alloc", ".bin");
        Files.write(file, new byte[4096]);
        int fd = backend.open(file.toString(), Backend.O_RDONLY, 0);
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        try {
            double perOp = bytesPerCycle("4 KiB direct-buffer file READ cycle", () -> cycle(Op.READ, fd, buffer, 4096, 0));
            assertEquals(4096, lastResult);
            assertTrue(perOp < 1.0, perOp + " bytes per READ");
        } finally {
            backend.close(fd);
            Files.delete(file);
        }
    }

    /** A heap buffer goes through a bounce buffer: the copies in and out allocate nothing either. */
    @Test
    void shouldNotAllocateOnHeapBufferFileReadCycles() throws IOException {
        Path file = Files.createTempFile("fibril-alloc", ".bin");
        Files.write(file, new byte[4096]);
        int fd = backend.open(file.toString(), Backend.O_RDONLY, 0);
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        try {
            double perOp = bytesPerCycle("4 KiB heap-buffer file READ cycle (bounced)", () -> cycle(Op.READ, fd, buffer, 4096, 0));
            assertEquals(4096, lastResult);
            assertTrue(perOp < 1.0, perOp + " bytes per READ");
        } finally {
            backend.close(fd);
            Files.delete(file);
        }
    }


    /** enqueue -> flush -> (await) -> reap, as a carrier does for one request. */
    private void cycle(byte op, int fd, ByteBuffer buffer, int length, long offset) {
        request.prepare(op, fd, buffer, 0, length, offset);
        lastRequest = null;
        ring.enqueue(request);
        ring.flush();
        while (ring.reap(sink, 16) == 0) {
            ring.await(1_000_000_000L);
        }
        if (lastRequest != request) {
            throw new AssertionError("completion for " + lastRequest + ", expected " + request);
        }
    }
}
