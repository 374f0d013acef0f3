/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives a ring on the calling thread the way a carrier loop does (enqueue, flush, await, reap)
 * and records each completion once, by the request object the ring hands back, failing on a
 * duplicate, and the order they came in. One driver per ring and thread.
 */
public final class RingDriver implements CompletionSink {
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

    final CompletionRing ring;
    private final Map<IoRequest, Integer> results = new IdentityHashMap<>();
    private final List<IoRequest> delivered = new ArrayList<>();

    public RingDriver(CompletionRing ring) {
        this.ring = ring;
    }

    public CompletionRing ring() {
        return ring;
    }

    @Override
    public void onCompletion(IoRequest request, int result) {
        assertNull(results.put(request, result), "second completion for " + Op.name(request.opcode()) + " request " + request);
        delivered.add(request);
    }

    /** Every request completed so far, in the order the ring delivered them. */
    public List<IoRequest> delivered() {
        return delivered;
    }

    /** Reaps all the ring has, without flushing or waiting; returns how many. */
    public int reap() {
        return ring.reap(this, Integer.MAX_VALUE);
    }

    /** The result of {@code r}, which must be there after one reap, without waiting. */
    public int resultNow(IoRequest r) {
        reap();
        assertTrue(results.containsKey(r), () -> "no completion yet for " + Op.name(r.opcode()) + " request " + r);
        return results.remove(r);
    }

    /** Enqueues {@code r} without flushing; returns it. */
    public IoRequest enqueued(IoRequest r) {
        enqueue(r);
        return r;
    }

    /** Whether {@code r}'s completion has been reaped and not taken yet; reaps nothing. */
    public boolean hasResult(IoRequest r) {
        return results.containsKey(r);
    }

    /** Runs a READ into {@code buffer}'s remaining bytes at file offset {@code offset}. */
    public int read(int fd, ByteBuffer buffer, long offset) {
        return run(request(Op.READ, fd, buffer, buffer.position(), buffer.remaining(), offset));
    }

    /** Runs a WRITE of {@code buffer}'s remaining bytes at file offset {@code offset}. */
    public int write(int fd, ByteBuffer buffer, long offset) {
        return run(request(Op.WRITE, fd, buffer, buffer.position(), buffer.remaining(), offset));
    }

    /** Submits a RECV into {@code buffer}'s remaining bytes. */
    public IoRequest recv(int fd, ByteBuffer buffer) {
        return submit(request(Op.RECV, fd, buffer, buffer.position(), buffer.remaining(), 0));
    }

    /** Submits a SEND of {@code buffer}'s remaining bytes. */
    public IoRequest send(int fd, ByteBuffer buffer) {
        return submit(request(Op.SEND, fd, buffer, buffer.position(), buffer.remaining(), 0));
    }

    /** Submits an ACCEPT on listener {@code fd}. */
    public IoRequest accept(int fd) {
        return submit(request(Op.ACCEPT, fd, null, 0, 0, 0));
    }

    /** Runs a SHUTDOWN of {@code how} on {@code fd}. */
    public int shutdown(int fd, int how) {
        return run(withOpFlags(request(Op.SHUTDOWN, fd, null, 0, 0, 0), how));
    }

    /** A connected TCP pair over loopback of {@code backend}, {client, accepted}, made with CONNECT and ACCEPT on this ring. */
    public int[] connectedPair(Backend backend) {
        int listener = backend.socket();
        assertTrue(listener >= 0, "socket: " + listener);
        try {
            assertEquals(0, backend.listen(listener, new InetSocketAddress("127.0.0.1", 0), 16));
            int client = backend.socket();
            IoRequest accept = request(Op.ACCEPT, listener, null, 0, 0, 0);
            IoRequest connect = connect(client, backend.localAddress(listener));
            enqueue(accept, connect);
            assertEquals(0, complete(connect));
            int accepted = complete(accept);
            assertTrue(accepted >= 0, "accept: " + accepted);
            return new int[] {client, accepted};
        } finally {
            backend.close(listener);
        }
    }

    /** Enqueues and flushes {@code r}; returns it. */
    public IoRequest submit(IoRequest r) {
        enqueue(r);
        ring.flush();
        return r;
    }

    /** A new request. */
    public static IoRequest request(byte op, int fd, ByteBuffer buffer, int position, int length, long offset) {
        IoRequest r = new IoRequest();
        r.prepare(op, fd, buffer, position, length, offset);
        return r;
    }

    /** An ASYNC_CANCEL of {@code target} (a request never enqueued names nothing in flight). */
    public IoRequest cancelOf(IoRequest target) {
        IoRequest r = new IoRequest();
        r.prepareCancel(target);
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
        while (!results.containsKey(r)) {
            if (ring.reap(this, 64) == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("no completion for " + Op.name(r.opcode()) + " request " + r + " within 10 s");
                }
                ring.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
        }
        return results.remove(r);
    }

    /** True if {@code r} has completed (after a flush and one non-blocking reap). */
    public boolean isComplete(IoRequest r) {
        ring.flush();
        ring.reap(this, 64);
        return results.containsKey(r);
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
