/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Submits a random mix of requests (file I/O, NOP, TIMEOUT, ASYNC_CANCEL, socket SEND/RECV/SHUTDOWN,
 * bad requests) to one ring from its owner thread, and counts the completions of every request,
 * so a test can check that each request completed exactly once. The mix is drawn from its own
 * seeded random, independent of the kernel's seed.
 */
final class ChaosDriver implements CompletionSink {
    private static final int NO_RESULT = Integer.MIN_VALUE;

    final SimulatedKernel kernel;
    final SimulatedRing ring;
    private final SplittableRandom random;
    private final Runnable idle;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    private int file;
    private int[] sockets = new int[0];

    private int nextId = 1;
    /** The request of each id (ids are the test's; the ring hands the request object back). */
    private Tagged[] byId = new Tagged[1024];
    private byte[] counts = new byte[1024];
    private int[] results = new int[1024];
    private long[] sequence = new long[0];
    private int sequenceLength;
    private boolean recording;
    private boolean links;
    /** How often each result came back: index {@code -result} for errors (up to 255), 0 for 0, 256 for positive counts. */
    private final long[] resultCounts = new long[257];

    /** {@code idle} runs when a reap found nothing: advance a manual clock, or await on a real one. */
    ChaosDriver(SimulatedKernel kernel, int ringIndex, long mixSeed, Runnable idle) {
        this.kernel = kernel;
        this.ring = kernel.openRing(ringIndex);
        this.random = new SplittableRandom(mixSeed);
        this.idle = idle;
        Arrays.fill(results, NO_RESULT);
    }

    /** Links some requests of each batch into chains (FLAG_LINK), some of them to a LINK_TIMEOUT. */
    ChaosDriver withLinks() {
        links = true;
        return this;
    }

    ChaosDriver recordSequence() {
        recording = true;
        sequence = new long[1024];
        return this;
    }

    void useFile(int fd) {
        file = fd;
    }

    void useSockets(int... fds) {
        sockets = fds.clone();
    }

    /** A request that carries the test's id for it. */
    private static final class Tagged extends IoRequest {
        final int id;

        Tagged(int id) {
            this.id = id;
        }
    }

    @Override
    public void onCompletion(IoRequest request, int result) {
        assertTrue(request instanceof Tagged t && t.id > 0 && t.id < nextId && byId[t.id] == t,
                () -> "completion for a request never submitted: " + request);
        int i = ((Tagged) request).id;
        counts[i]++;
        results[i] = result;
        resultCounts[result > 0 ? 256 : Math.min(-result, 255)]++;
        if (recording) {
            if (sequenceLength + 2 > sequence.length) {
                sequence = Arrays.copyOf(sequence, sequence.length * 2);
            }
            sequence[sequenceLength++] = i;
            sequence[sequenceLength++] = result;
        }
    }

    /** Submits {@code ops} random requests in random batches, reaping as it goes. */
    void run(int ops) {
        for (int issued = 0; issued < ops; ) {
            int batch = 1 + random.nextInt(32);
            for (int i = 0; i < batch && issued < ops; i++, issued++) {
                IoRequest request = randomRequest();
                int link = links ? random.nextInt(16) : -1;
                if (link >= 0 && link < 4) {
                    request.flags(IoRequest.FLAG_LINK);
                }
                if (!ring.enqueue(request)) {
                    ring.flush();
                    assertTrue(ring.enqueue(request));
                }
                if (link == 0) {
                    enqueue(request(Op.LINK_TIMEOUT, -1, null, 0, 0, random.nextLong(-1_000, 50_000)));
                }
            }
            ring.flush();
            if (ring.reap(this, 1 + random.nextInt(64)) == 0) {
                idle.run();
            }
        }
    }

    /** Reaps until nothing is in flight, running {@code idle} when nothing is available; false if that takes too long. */
    boolean drain(int maxIdleRounds) {
        for (int rounds = 0; ring.inFlight() > 0; ) {
            if (ring.reap(this, Integer.MAX_VALUE) == 0) {
                if (++rounds > maxIdleRounds) {
                    return false;
                }
                idle.run();
            }
        }
        return true;
    }

    /** Submits one request and reaps (recording everything) until it completed; returns its result. */
    int call(IoRequest request) {
        int id = enqueue(request);
        ring.flush();
        while (results[id] == NO_RESULT) {
            if (ring.reap(this, Integer.MAX_VALUE) == 0) {
                idle.run();
            }
        }
        return results[id];
    }

    /** A new connected pair through this ring: {client fd, accepted fd}. */
    int[] connectedPair() {
        int listener = kernel.socket();
        assertEquals(0, kernel.listen(listener, new InetSocketAddress("127.0.0.1", 0), 4));
        int client = kernel.socket();
        IoRequest connect = request(Op.CONNECT, client, null, 0, 0, 0);
        connect.address(kernel.localAddress(listener));
        assertEquals(0, call(connect));
        int server = call(request(Op.ACCEPT, listener, null, 0, 0, 0));
        assertTrue(server >= 0, "accept failed: " + server);
        kernel.close(listener);
        return new int[] {client, server};
    }

    void assertEveryRequestCompletedExactlyOnce() {
        assertEquals(0, ring.inFlight(), "requests still in flight");
        for (int i = 1; i < nextId; i++) {
            int id = i;
            assertEquals(1, counts[i], () -> "request " + id + " completed " + counts[id] + " times");
        }
    }

    /** How many completions had {@code result} (an {@code -errno} or 0); {@code 1} stands for any positive count. */
    long completionsWith(int result) {
        return resultCounts[result > 0 ? 256 : Math.min(-result, 255)];
    }

    long submitted() {
        return nextId - 1;
    }

    /** The completions as (request id, result) pairs, in delivery order. */
    long[] sequence() {
        return Arrays.copyOf(sequence, sequenceLength);
    }

    private int enqueue(IoRequest request) {
        if (!ring.enqueue(request)) {
            ring.flush();
            assertTrue(ring.enqueue(request));
        }
        return ((Tagged) request).id;
    }

    private IoRequest request(byte op, int fd, ByteBuffer data, int position, int length, long offset) {
        int id = nextId++;
        Tagged request = new Tagged(id);
        request.prepare(op, fd, data, position, length, offset);
        if (id >= counts.length) {
            counts = Arrays.copyOf(counts, counts.length * 2);
            byId = Arrays.copyOf(byId, byId.length * 2);
            int old = results.length;
            results = Arrays.copyOf(results, results.length * 2);
            Arrays.fill(results, old, results.length, NO_RESULT);
        }
        byId[id] = request;
        return request;
    }

    private IoRequest randomRequest() {
        int roll = random.nextInt(100);
        int length = random.nextInt(4097);
        int position = random.nextInt(buffer.capacity() - length + 1);
        long offset = random.nextLong(1 << 20);
        int socket = sockets.length == 0 ? -1 : sockets[random.nextInt(sockets.length)];
        if (roll < 25) {
            return request(Op.READ, file, buffer, position, length, offset);
        } else if (roll < 45) {
            return request(Op.WRITE, file, buffer, position, length, offset);
        } else if (roll < 50) {
            return request(Op.FSYNC, file, null, 0, 0, 0);
        } else if (roll < 58) {
            return request(Op.NOP, -1, null, 0, 0, 0);
        } else if (roll < 63) {
            return request(Op.TIMEOUT, -1, null, 0, 0, random.nextLong(100_000));
        } else if (roll < 73) {
            int target = Math.max(1, nextId - 1 - random.nextInt(64));
            IoRequest cancel = request(Op.NOP, -1, null, 0, 0, 0);
            cancel.prepareCancel(byId[target]); // the very first request cancels itself: nothing
            return cancel;
        } else if (roll < 85) {
            return request(Op.SEND, socket, buffer, position, length, 0);
        } else if (roll < 97) {
            return request(Op.RECV, socket, buffer, position, length, 0);
        } else if (roll < 98 && random.nextInt(20) == 0) {
            IoRequest shutdown = request(Op.SHUTDOWN, socket, null, 0, 0, 0);
            shutdown.opFlags(random.nextInt(3));
            return shutdown;
        }
        return switch (random.nextInt(4)) {
            case 0 -> request(Op.READ, 1_000 + random.nextInt(100), buffer, 0, 16, 0);
            case 1 -> request(Op.WRITE, file, buffer, 0, -1, 0);
            case 2 -> request(Op.RECV, socket, buffer, buffer.capacity() - 1, 2, 0);
            default -> request((byte) (56 + random.nextInt(8)), file, null, 0, 0, 0); // opcodes the simulated kernel does not know
        };
    }

    static int openScratchFile(SimulatedKernel kernel, String path) {
        int fd = kernel.open(path, Backend.O_RDWR | Backend.O_CREAT, 0);
        assertTrue(fd >= 0);
        return fd;
    }
}
