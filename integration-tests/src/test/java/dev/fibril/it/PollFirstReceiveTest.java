/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringConfig;
import dev.fibril.syscall.uring.IoUringFeatures;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.fibril.it.Loopback.inFibril;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A receive that follows one which drained the socket asks io_uring to wait for readiness first
 * ({@link IoRequest#RECV_POLL_FIRST}) instead of trying a receive that finds nothing; one that
 * follows a receive that filled its buffer tries first. For {@code read()} into the caller's buffer
 * and for the lent {@code receive()} alike. A ring in between records each RECV's flag; the peer is a
 * JDK socket, so the runtime's RECVs are the receiving side's only.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PollFirstReceiveTest {
    private static final int BUFFER = 4096;

    private final List<Boolean> pollFirst = new CopyOnWriteArrayList<>();
    private FibrilRuntime rt;
    private FibrilServerSocketChannel server;
    private FibrilSocketChannel channel;
    private Socket peer;

    @BeforeEach
    void connect() throws Exception {
        assumeTrue(IoUringBackend.probe().available(), () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        IoUringFeatures features = IoUringFeatures.resolve(IoUringBackend.probe(), Map.<String, String>of()::get);
        rt = Fibril.runtime().carriers(1).backend(new RecvRecorder(new IoUringBackend(IoUringConfig.DEFAULT, features)))
                .receiveBuffers(16, BUFFER).build();
        assumeTrue(rt.backendFeatures().isActive("recv_poll_first"), () -> "no POLL_FIRST: " + rt.backendFeatures());
        inFibril(rt, () -> server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8));
        peer = new Socket("127.0.0.1", server.localAddress().getPort());
        AtomicReference<FibrilSocketChannel> accepted = new AtomicReference<>();
        inFibril(rt, () -> accepted.set(server.accept()));
        channel = accepted.get();
    }

    @AfterEach
    void close() throws Exception {
        if (peer != null) {
            peer.close();
        }
        if (channel != null) {
            channel.close();
        }
        if (server != null) {
            server.close();
        }
        if (rt != null) {
            rt.close();
        }
    }

    @Test
    void shouldWaitForReadinessFirstAfterAReceiveThatDrainedTheSocket() throws Exception {
        assumeTrue(rt.backendFeatures().isActive("pbuf_ring"), () -> "no provided buffers: " + rt.backendFeatures());
        OutputStream out = peer.getOutputStream();
        out.write(bytes(10));
        inFibril(rt, () -> assertEquals(10, received()));
        out.write(bytes(10));
        inFibril(rt, () -> assertEquals(10, received()));
        out.write(bytes(2 * BUFFER));
        int[] third = new int[1];
        inFibril(rt, () -> {
            third[0] = received();
            int left = 2 * BUFFER - third[0];
            while (left > 0) {
                left -= received();
            }
        });
        assertEquals(List.of(false, true, true), pollFirst.subList(0, 3),
                "the first receive tries at once, the two after a short one wait first: " + pollFirst);
        assertEquals(third[0] < BUFFER, pollFirst.get(3),
                "the receive after one of " + third[0] + " bytes (a buffer holds " + BUFFER + "): " + pollFirst);
    }

    @Test
    void shouldWaitForReadinessFirstAfterAReadThatDrainedTheSocket() throws Exception {
        OutputStream out = peer.getOutputStream();
        ByteBuffer b = ByteBuffer.allocateDirect(64);
        out.write(bytes(10));
        inFibril(rt, () -> assertEquals(10, channel.read(b.clear())));
        out.write(bytes(100));
        int[] second = new int[1];
        inFibril(rt, () -> {
            second[0] = channel.read(b.clear());
            int left = 100 - second[0];
            while (left > 0) {
                left -= channel.read(b.clear());
            }
        });
        assertEquals(List.of(false, true), pollFirst.subList(0, 2),
                "the first read tries at once, the one after a short one waits first: " + pollFirst);
        assertEquals(second[0] < 64, pollFirst.get(2),
                "the read after one of " + second[0] + " bytes into 64: " + pollFirst);
    }

    /** Receives once and releases the buffer; returns the count. */
    private int received() throws Exception {
        ByteBuffer got = channel.receive();
        int n = got.remaining();
        channel.release(got);
        return n;
    }

    private static byte[] bytes(int n) {
        return "x".repeat(n).getBytes(StandardCharsets.US_ASCII);
    }

    /** Records, in order, whether each RECV the runtime submits carries {@link IoRequest#RECV_POLL_FIRST}. */
    private final class RecvRecorder extends ForwardingBackend {
        RecvRecorder(Backend backend) {
            super(backend);
        }

        @Override
        CompletionRing wrap(CompletionRing ring, int carrierIndex) {
            return new ForwardingRing(ring) {
                @Override
                public boolean provideBuffers(ByteBuffer[] buffers) {
                    return ring.provideBuffers(buffers); // the kernel picks: the lent receive's own path
                }

                @Override
                public void recycleBuffer(int id) {
                    ring.recycleBuffer(id);
                }

                @Override
                public boolean enqueue(IoRequest request) {
                    if (request.opcode() == Op.RECV) {
                        pollFirst.add((request.opFlags() & IoRequest.RECV_POLL_FIRST) != 0);
                    }
                    return ring.enqueue(request);
                }
            };
        }
    }
}
