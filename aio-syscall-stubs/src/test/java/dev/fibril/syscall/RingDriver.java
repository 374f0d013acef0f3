package dev.fibril.syscall;

import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives a ring on the calling thread the way a carrier loop does (enqueue, flush, await, reap)
 * and records each completion once, failing on a duplicate. One driver per ring and thread.
 */
public final class RingDriver implements CompletionSink {
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

    final CompletionRing ring;
    private final Map<Long, Integer> results = new HashMap<>();
    private long nextUserData;

    public RingDriver(CompletionRing ring) {
        this(ring, 1);
    }

    /** A driver whose user_data start at {@code firstUserData}, so two drivers never share one. */
    public RingDriver(CompletionRing ring, long firstUserData) {
        this.ring = ring;
        this.nextUserData = firstUserData;
    }

    @Override
    public void onCompletion(long userData, int result) {
        assertNull(results.put(userData, result), "second completion for user_data " + userData);
    }

    /** A request with a fresh user_data. */
    public IoRequest request(byte op, int fd, ByteBuffer buffer, int position, int length, long offset) {
        IoRequest r = new IoRequest();
        r.prepare(op, fd, buffer, position, length, offset);
        r.userData(nextUserData++);
        return r;
    }

    public IoRequest connect(int fd, InetSocketAddress address) {
        IoRequest r = request(Op.CONNECT, fd, null, 0, 0, 0);
        r.address(address);
        return r;
    }

    public IoRequest withOpFlags(IoRequest r, int opFlags) {
        r.opFlags(opFlags);
        return r;
    }

    public IoRequest linked(IoRequest r) {
        r.flags(IoRequest.FLAG_LINK);
        return r;
    }

    public void enqueue(IoRequest... requests) {
        for (IoRequest r : requests) {
            assertTrue(ring.enqueue(r), "submission queue full");
        }
    }

    /** Enqueues, flushes, and waits for the request's result. */
    public int run(IoRequest r) {
        enqueue(r);
        return complete(r);
    }

    /** Flushes and waits (at most 10 s) until {@code r} has completed; returns its result. */
    public int complete(IoRequest r) {
        ring.flush();
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (!results.containsKey(r.userData())) {
            if (ring.reap(this, 64) == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("no completion for user_data " + r.userData() + " within 10 s");
                }
                ring.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
        }
        return results.remove(r.userData());
    }

    /** True if {@code r} has completed (after a flush and one non-blocking reap). */
    public boolean isComplete(IoRequest r) {
        ring.flush();
        ring.reap(this, 64);
        return results.containsKey(r.userData());
    }

    /** One poll of the ring without waiting: a non-blocking select, then a reap. */
    public void pollOnce() {
        ring.flush();
        ring.await(0);
        ring.reap(this, 64);
    }

    /** Whether any completion arrived that nobody took yet (a duplicate would have failed already). */
    public boolean hasUnclaimedResults() {
        return !results.isEmpty();
    }
}
