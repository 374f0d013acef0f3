/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The owner's enqueue, flush, (await,) reap cycle allocates nothing once warm, whatever sits under
 * the ring: under 1 byte per cycle on average, for NOPs, file reads into direct and heap buffers, a
 * mixed batch, socket transfers whose data waits, and RECVs that wait for the SEND behind them.
 * io_uring runs its own copy (uring/IoUringAllocationTest): this cycle's one call site, megamorphic
 * over three ring types, makes the JIT keep an allocation on io_uring's path that a carrier does not.
 */
public abstract class AllocationContract extends BackendFixture {

    private final IoRequest[] requests = {new IoRequest(), new IoRequest(), new IoRequest(), new IoRequest(), new IoRequest()};
    private IoRequest lastRequest;
    private int lastResult;
    private final CompletionSink sink = (completed, result) -> {
        lastRequest = completed;
        lastResult = result;
    };

    protected AllocationContract(BackendKind kind) {
        super(kind);
    }

    @Test
    void shouldNotAllocateOnNopCycles() {
        double perOp = bytesPerCycle("NOP cycle", () -> cycle(Op.NOP, -1, null, 0));
        assertEquals(0, lastResult);
        assertTrue(perOp < 1.0, perOp + " bytes per NOP");
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void shouldNotAllocateOnFileReadCycles(boolean direct) {
        int fd = file("alloc", new byte[0]);
        assertEquals(0, backend.truncate(fd, 1 << 20));
        ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(4096) : ByteBuffer.allocate(4096);
        double perOp = bytesPerCycle("4 KiB " + (direct ? "direct" : "heap") + "-buffer file READ cycle",
                () -> cycle(Op.READ, fd, buffer, 4096));
        assertEquals(4096, lastResult);
        assertTrue(perOp < 1.0, perOp + " bytes per READ");
    }

    @Test
    void shouldNotAllocateOnAMixedWriteReadNopTimeoutFsyncBatch() {
        int fd = file("mixed", new byte[0]);
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        double perOp = bytesPerCycle("WRITE, READ, NOP, TIMEOUT 0, FSYNC batch", () -> {
            requests[0].prepare(Op.WRITE, fd, buffer, 0, 4096, 0);
            requests[1].prepare(Op.READ, fd, buffer, 0, 4096, 0);
            requests[2].prepare(Op.NOP, -1, null, 0, 0, 0);
            requests[3].prepare(Op.TIMEOUT, -1, null, 0, 0, 0);
            requests[4].prepare(Op.FSYNC, fd, null, 0, 0, 0);
            submitAndReap(0, requests.length, requests.length);
        });
        assertTrue(perOp < 1.0, perOp + " bytes per batch");
    }

    @Test
    void shouldNotAllocateOnSocketCyclesWhoseDataWaits() {
        int[] pair = connectedPair();
        ByteBuffer out = ByteBuffer.allocateDirect(512);
        ByteBuffer in = ByteBuffer.allocateDirect(512);
        double perOp = bytesPerCycle("512 B SEND + RECV of waiting data cycle", () -> {
            cycle(Op.SEND, pair[0], out, 512);
            cycle(Op.RECV, pair[1], in, 512);
        });
        assertEquals(512, lastResult);
        assertTrue(perOp < 1.0, perOp + " bytes per SEND + RECV");
    }

    @Test
    void shouldNotAllocateOnRecvCyclesThatWaitForTheSendBehindThem() {
        int[] pair = connectedPair();
        ByteBuffer out = ByteBuffer.allocateDirect(64);
        ByteBuffer in = ByteBuffer.allocateDirect(64);
        double perOp = bytesPerCycle("64 B waiting RECV, then SEND cycle", () -> {
            requests[0].prepare(Op.RECV, pair[1], in, 0, 64, 0);
            ring.enqueue(requests[0]);
            ring.flush(); // waits: nothing to read
            requests[1].prepare(Op.SEND, pair[0], out, 0, 64, 0);
            submitAndReap(1, 2, 2);
            assertSame(requests[0], lastRequest, "the RECV completes last, after the SEND");
        });
        assertEquals(64, lastResult);
        assertTrue(perOp < 1.0, perOp + " bytes per waiting cycle");
    }


    /** enqueue -> flush -> (await) -> reap, as a carrier does for one request. */
    private void cycle(byte op, int fd, ByteBuffer buffer, int length) {
        requests[0].prepare(op, fd, buffer, 0, length, 0);
        lastRequest = null;
        submitAndReap(0, 1, 1);
        if (lastRequest != requests[0]) {
            throw new AssertionError("completion for " + lastRequest + ", expected " + requests[0]);
        }
    }

    /** Enqueues requests[first, end), flushes, and reaps until {@code expected} completions came back. */
    private void submitAndReap(int first, int end, int expected) {
        for (int i = first; i < end; i++) {
            ring.enqueue(requests[i]);
        }
        ring.flush();
        int seen = 0;
        while (seen < expected) {
            int n = ring.reap(sink, 16);
            if (n == 0) {
                ring.await(1_000_000_000L);
            }
            seen += n;
        }
    }
}
