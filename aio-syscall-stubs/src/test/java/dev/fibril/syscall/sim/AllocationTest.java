package dev.fibril.syscall.sim;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The owner thread's enqueue, flush, reap cycle allocates nothing once warm. */
class AllocationTest {
    private static final int WARMUP = 200_000;
    private static final int MEASURED = 100_000;

    private final SimulatedKernel kernel = SimulatedKernel.builder().build();
    private final SimulatedRing ring = kernel.openRing(0);
    private final Sink sink = new Sink();

    @AfterEach
    void closeEverything() {
        ring.close();
        kernel.close();
    }

    private static final class Sink implements CompletionSink {
        long completions;
        int lastResult;

        @Override
        public void onCompletion(IoRequest request, int result) {
            completions++;
            lastResult = result;
        }
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Runs {@code cycles} of enqueue, flush, reap of each request in turn; every one must complete at once. */
    private void cycle(IoRequest[] requests, int cycles) {
        for (int i = 0; i < cycles; i++) {
            for (IoRequest request : requests) {
                ring.enqueue(request);
            }
            ring.flush();
            ring.reap(sink, Integer.MAX_VALUE);
        }
    }

    private double bytesPerOp(IoRequest... requests) {
        cycle(requests, WARMUP / requests.length);
        long before = allocatedBytes();
        long completionsBefore = sink.completions;
        cycle(requests, MEASURED / requests.length);
        long bytes = allocatedBytes() - before;
        long ops = sink.completions - completionsBefore;
        assertEquals((long) (MEASURED / requests.length) * requests.length, ops, "every request completes in its cycle");
        assertEquals(0, ring.inFlight());
        return (double) bytes / ops;
    }

    private static IoRequest request(byte op, int fd, ByteBuffer buffer, int length, long offset) {
        IoRequest request = new IoRequest();
        request.prepare(op, fd, buffer, 0, length, offset);
        return request;
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void shouldNotAllocateOnFileReadCycle(boolean direct) {
        int fd = kernel.open("/alloc", Backend.O_RDWR | Backend.O_CREAT, 0);
        assertEquals(0, kernel.truncate(fd, 1 << 20));
        ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(4096) : ByteBuffer.allocate(4096);
        double perOp = bytesPerOp(request(Op.READ, fd, buffer, 4096, 8192));
        assertEquals(4096, sink.lastResult);
        assertTrue(perOp < 1.0, "allocated " + perOp + " bytes per READ");
    }

    @Test
    void shouldNotAllocateOnMixedWriteNopTimeoutCycle() {
        int fd = kernel.open("/mixed", Backend.O_RDWR | Backend.O_CREAT, 0);
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        double perOp = bytesPerOp(
                request(Op.WRITE, fd, buffer, 4096, 0),
                request(Op.READ, fd, buffer, 4096, 0),
                request(Op.NOP, -1, null, 0, 0),
                request(Op.TIMEOUT, -1, null, 0, 0),
                request(Op.FSYNC, fd, null, 0, 0));
        assertTrue(perOp < 1.0, "allocated " + perOp + " bytes per op");
    }

    @Test
    void shouldNotAllocateOnSocketCycleWhereRecvWaitsForSend() {
        RingDriver setup = new RingDriver(kernel, 1);
        int[] pair = setup.connectedPair();
        setup.ring.close();
        ByteBuffer src = ByteBuffer.allocateDirect(512);
        ByteBuffer dst = ByteBuffer.allocateDirect(512);
        // The RECV is flushed first and waits; the SEND then completes it through the posted-completion queue.
        double perOp = bytesPerOp(
                request(Op.RECV, pair[1], dst, 512, 0),
                request(Op.SEND, pair[0], src, 512, 0));
        assertTrue(perOp < 1.0, "allocated " + perOp + " bytes per socket op");
    }
}
