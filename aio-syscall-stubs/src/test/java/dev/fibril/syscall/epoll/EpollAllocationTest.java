package dev.fibril.syscall.epoll;

import dev.fibril.syscall.RingDriver;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The epoll ring's submit/complete path allocates nothing once warm, NIO underneath included:
 * under 1 byte per cycle on average, for NOPs, file reads into direct and heap buffers, fast-path
 * socket transfers, and requests that park and come back through a select.
 */
class EpollAllocationTest extends EpollTestBase {
    private static final int WARMUP_ROUND = 10_000;
    private static final int MAX_WARMUP_ROUNDS = 30;
    private static final int MEASURED = 50_000;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final IoRequest request = new IoRequest();
    private final IoRequest second = new IoRequest();
    private IoRequest lastRequest;
    private int lastResult;
    private final CompletionSink sink = (completed, result) -> {
        lastRequest = completed;
        lastResult = result;
    };

    @Test
    void shouldNotAllocateOnNopCycles() {
        double perOp = bytesPerCycle("NOP cycle", () -> cycle(Op.NOP, -1, null, 0));
        assertEquals(0, lastResult);
        assertTrue(perOp < 1.0, perOp + " bytes per NOP");
    }

    @Test
    void shouldNotAllocateOnFileReadCycles() throws IOException {
        Path file = Files.createTempFile("fibril-epoll-alloc", ".bin");
        Files.write(file, new byte[4096]);
        int fd = backend.open(file.toString(), Backend.O_RDONLY, 0);
        try {
            ByteBuffer direct = ByteBuffer.allocateDirect(4096);
            double directPerOp = bytesPerCycle("4 KiB direct-buffer file READ cycle", () -> cycle(Op.READ, fd, direct, 4096));
            assertEquals(4096, lastResult);
            ByteBuffer heap = ByteBuffer.allocate(4096);
            double heapPerOp = bytesPerCycle("4 KiB heap-buffer file READ cycle", () -> cycle(Op.READ, fd, heap, 4096));
            assertEquals(4096, lastResult);
            assertTrue(directPerOp < 1.0, directPerOp + " bytes per direct READ");
            assertTrue(heapPerOp < 1.0, heapPerOp + " bytes per heap READ (NIO's cached temporary buffer)");
            assertEquals(0, ring.bufferDuplicates());
        } finally {
            backend.close(fd);
            Files.delete(file);
        }
    }

    @Test
    void shouldNotAllocateOnFastPathSocketCycles() {
        int[] pair = connectedPair();
        ByteBuffer out = ByteBuffer.allocateDirect(512);
        ByteBuffer in = ByteBuffer.allocateDirect(512);
        long selects = ring.selects();
        double perOp = bytesPerCycle("512 B SEND + fast-path RECV cycle", () -> {
            cycle(Op.SEND, pair[0], out, 512);
            cycle(Op.RECV, pair[1], in, 512);
        });
        assertEquals(512, lastResult);
        assertEquals(selects, ring.selects(), "data always waiting: never selected");
        assertTrue(perOp < 1.0, perOp + " bytes per SEND + RECV");
        closePair(pair);
    }

    @Test
    void shouldNotAllocateOnParkedRecvCycles() {
        int[] pair = connectedPair();
        ByteBuffer out = ByteBuffer.allocateDirect(64);
        ByteBuffer in = ByteBuffer.allocateDirect(64);
        long parked = ring.parkedRequests();
        double perOp = bytesPerCycle("64 B parked RECV, then SEND, select, retry cycle", () -> {
            request.prepare(Op.RECV, pair[1], in, 0, 64, 0);
            ring.enqueue(request);
            ring.flush(); // parks: nothing to read
            second.prepare(Op.SEND, pair[0], out, 0, 64, 0);
            ring.enqueue(second);
            ring.flush();
            int seen = 0;
            while (seen < 2) {
                int n = ring.reap(sink, 16);
                if (n == 0) {
                    ring.await(1_000_000_000L);
                }
                seen += n;
            }
            if (lastRequest != request) {
                throw new AssertionError("RECV should complete last, after the select");
            }
        });
        assertEquals(64, lastResult);
        assertTrue(ring.parkedRequests() - parked >= MEASURED, "each RECV parked");
        assertTrue(perOp < 1.0, perOp + " bytes per parked cycle");
        closePair(pair);
    }

    private int[] connectedPair() {
        int server = backend.socket();
        assertEquals(0, backend.listen(server, new InetSocketAddress("127.0.0.1", 0), 4));
        int client = backend.socket();
        RingDriver driver = new RingDriver(ring);
        IoRequest accept = driver.request(Op.ACCEPT, server, null, 0, 0, 0);
        IoRequest connect = driver.connect(client, backend.localAddress(server));
        driver.enqueue(accept, connect);
        assertEquals(0, driver.complete(connect));
        int accepted = driver.complete(accept);
        assertTrue(accepted >= 0);
        backend.close(server);
        return new int[]{client, accepted};
    }

    private void closePair(int[] pair) {
        backend.close(pair[0]);
        backend.close(pair[1]);
    }

    private double bytesPerCycle(String name, Runnable cycle) {
        int rounds = 0;
        long allocated;
        do {
            long start = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < WARMUP_ROUND; i++) {
                cycle.run();
            }
            allocated = THREADS.getCurrentThreadAllocatedBytes() - start;
        } while (++rounds < MAX_WARMUP_ROUNDS && allocated > 0);
        long calls = ring.kernelCalls();
        long systemCalls = ring.systemCalls();
        long selects = ring.selects();
        long before = THREADS.getCurrentThreadAllocatedBytes();
        long startNanos = System.nanoTime();
        for (int i = 0; i < MEASURED; i++) {
            cycle.run();
        }
        long nanos = System.nanoTime() - startNanos;
        double perOp = (double) (THREADS.getCurrentThreadAllocatedBytes() - before) / MEASURED;
        System.out.printf("[epoll] %s: %.4f bytes allocated, %.2f kernel calls, %.2f system calls, %.2f selects per cycle"
                        + " over %d cycles (%.0f ns each), after %d warm-up cycles%n",
                name, perOp, (double) (ring.kernelCalls() - calls) / MEASURED,
                (double) (ring.systemCalls() - systemCalls) / MEASURED, (double) (ring.selects() - selects) / MEASURED,
                MEASURED, (double) nanos / MEASURED, rounds * WARMUP_ROUND);
        return perOp;
    }

    /** enqueue -> flush -> (await) -> reap, as a carrier does for one request. */
    private void cycle(byte op, int fd, ByteBuffer buffer, int length) {
        request.prepare(op, fd, buffer, 0, length, 0);
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
