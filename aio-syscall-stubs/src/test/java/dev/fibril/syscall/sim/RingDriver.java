package dev.fibril.syscall.sim;

import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives one ring from the test thread: submits requests, each under a fresh id of the test's
 * (the ring knows the request only as the object, which it hands back), records every completion
 * (and fails on a duplicate), and waits for results with Awaitility polling in the owner thread,
 * since ring methods are owner-thread only.
 */
final class RingDriver implements CompletionSink {
    final SimulatedKernel kernel;
    final SimulatedRing ring;
    private final Map<Long, Integer> results = new HashMap<>();
    private final List<long[]> sequence = new ArrayList<>();
    /** The id of each request's latest submission, and the request of each id. */
    private final Map<IoRequest, Long> ids = new IdentityHashMap<>();
    private final Map<Long, IoRequest> requests = new HashMap<>();
    private long nextId = 1;

    RingDriver(SimulatedKernel kernel, int index) {
        this.kernel = kernel;
        this.ring = kernel.openRing(index);
    }

    static IoRequest request(byte op, int fd, ByteBuffer buffer, int position, int length, long offset) {
        IoRequest request = new IoRequest();
        request.prepare(op, fd, buffer, position, length, offset);
        return request;
    }

    @Override
    public void onCompletion(IoRequest request, int result) {
        Long id = ids.get(request);
        assertTrue(id != null, () -> "completion for a request never enqueued: " + request);
        Integer earlier = results.putIfAbsent(id, result);
        assertTrue(earlier == null, () -> "request " + id + " completed twice: " + earlier + " then " + result);
        sequence.add(new long[] {id, result});
    }

    /** Enqueues {@code request} under a fresh id, without flushing; returns the id. */
    long enqueue(IoRequest request) {
        long id = nextId++;
        ids.put(request, id);
        requests.put(id, request);
        assertTrue(ring.enqueue(request), "submission queue full");
        return id;
    }

    long submit(IoRequest request) {
        long id = enqueue(request);
        ring.flush();
        return id;
    }

    int reap() {
        return ring.reap(this, Integer.MAX_VALUE);
    }

    boolean completed(long id) {
        reap();
        return results.containsKey(id);
    }

    /** The result of request {@code id}, waiting up to 10 s for it. */
    int result(long id) {
        await().pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                .atMost(Duration.ofSeconds(10)).until(() -> completed(id));
        return results.get(id);
    }

    /** The result, which must be available without waiting. */
    int resultNow(long id) {
        reap();
        assertTrue(results.containsKey(id), () -> "no completion yet for " + id);
        return results.get(id);
    }

    int call(IoRequest request) {
        return result(submit(request));
    }

    int read(int fd, ByteBuffer buffer, long offset) {
        return call(request(Op.READ, fd, buffer, buffer.position(), buffer.remaining(), offset));
    }

    int write(int fd, ByteBuffer buffer, long offset) {
        return call(request(Op.WRITE, fd, buffer, buffer.position(), buffer.remaining(), offset));
    }

    long recv(int fd, ByteBuffer buffer) {
        return submit(request(Op.RECV, fd, buffer, buffer.position(), buffer.remaining(), 0));
    }

    long send(int fd, ByteBuffer buffer) {
        return submit(request(Op.SEND, fd, buffer, buffer.position(), buffer.remaining(), 0));
    }

    long accept(int fd) {
        return submit(request(Op.ACCEPT, fd, null, 0, 0, 0));
    }

    int connect(int fd, InetSocketAddress address) {
        IoRequest request = request(Op.CONNECT, fd, null, 0, 0, 0);
        request.address(address);
        return call(request);
    }

    int shutdown(int fd, int how) {
        IoRequest request = request(Op.SHUTDOWN, fd, null, 0, 0, 0);
        request.opFlags(how);
        return call(request);
    }

    /** Submits an ASYNC_CANCEL of request {@code target} (an id never submitted: of a request never enqueued). */
    long cancel(long target) {
        IoRequest cancel = new IoRequest();
        cancel.prepareCancel(requests.getOrDefault(target, new IoRequest()));
        return submit(cancel);
    }

    boolean hasResult(long id) {
        return results.containsKey(id);
    }

    /** Every completion so far as (id, result), in delivery order. */
    List<long[]> sequence() {
        return sequence;
    }

    /** A connected pair: {client fd, accepted fd}, both driven by this ring. */
    int[] connectedPair() {
        int listener = kernel.socket();
        assertEquals(0, kernel.listen(listener, new InetSocketAddress("127.0.0.1", 0), 16));
        int client = kernel.socket();
        assertEquals(0, connect(client, kernel.localAddress(listener)));
        int server = call(request(Op.ACCEPT, listener, null, 0, 0, 0));
        assertTrue(server >= 0, "accept failed: " + server);
        assertEquals(0, kernel.close(listener));
        return new int[] {client, server};
    }
}
