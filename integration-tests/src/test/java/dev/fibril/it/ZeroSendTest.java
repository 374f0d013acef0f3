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
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.epoll.EpollBackend;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A blocking write whose send completes with 0 (the kernel took nothing) must not send again at
 * once, which on a socket that stays full goes round for ever: it waits until the socket is
 * writable first. A backend over epoll makes the first sends complete with 0 and counts the
 * writability waits (POLL_ADD POLLOUT) that follow.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZeroSendTest {
    private static final int ZERO_SENDS = 3;

    private FibrilRuntime rt;

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    @Test
    void shouldWaitUntilWritableAfterASendThatTookNothing() throws Exception {
        ZeroSends backend = new ZeroSends(new EpollBackend(), ZERO_SENDS);
        rt = Fibril.runtime().carriers(1).backend(backend).build();
        byte[] bytes = "sent once the socket can take it".getBytes();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger written = new AtomicInteger();
        ByteBuffer got = ByteBuffer.allocate(bytes.length);
        Thread t = rt.start(() -> {
            try (FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
                 FibrilSocketChannel client = rt.openSocket()) {
                client.connect(server.localAddress());
                try (FibrilSocketChannel peer = server.accept()) {
                    written.set(client.write(ByteBuffer.wrap(bytes)));
                    while (got.hasRemaining() && peer.read(got) >= 0) {
                        // until every byte arrived
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(30)), "the fibril did not finish");
        if (failure.get() != null) {
            throw new AssertionError("fibril failed", failure.get());
        }
        assertEquals(bytes.length, written.get());
        assertArrayEquals(bytes, got.array(), "every byte once");
        assertEquals(0, backend.zeroSendsLeft.get(), "the backend answered 0 to the first sends");
        assertTrue(backend.writabilityWaits.get() >= ZERO_SENDS,
                "a wait for writability after each send that took nothing: " + backend.writabilityWaits.get());
    }

    /** A backend whose first sends take nothing (each becomes a NOP, which completes with 0). */
    static final class ZeroSends extends ForwardingBackend {
        final AtomicInteger zeroSendsLeft;
        final AtomicInteger writabilityWaits = new AtomicInteger();

        ZeroSends(Backend backend, int zeroSends) {
            super(backend);
            this.zeroSendsLeft = new AtomicInteger(zeroSends);
        }

        @Override
        CompletionRing wrap(CompletionRing ring, int carrierIndex) {
            return new ForwardingRing(ring) {
                /** Each NOP that stands in for a send, and the send it stands for (owner thread only). */
                private final Map<IoRequest, IoRequest> standIns = new IdentityHashMap<>();

                @Override
                public boolean enqueue(IoRequest request) {
                    if (request.opcode() == Op.POLL_ADD) {
                        writabilityWaits.incrementAndGet();
                    }
                    if (request.opcode() == Op.SEND && zeroSendsLeft.get() > 0) {
                        IoRequest nothing = new IoRequest();
                        nothing.prepare(Op.NOP, -1, null, 0, 0, 0);
                        boolean queued = ring.enqueue(nothing);
                        if (queued) {
                            standIns.put(nothing, request);
                            zeroSendsLeft.decrementAndGet();
                        }
                        return queued;
                    }
                    return ring.enqueue(request);
                }

                @Override
                public int reap(CompletionSink sink, int max) {
                    // the NOP's completion is the send's: the runtime knows only the send
                    return ring.reap((r, res) -> {
                        IoRequest send = standIns.remove(r);
                        sink.onCompletion(send != null ? send : r, res);
                    }, max);
                }
            };
        }
    }
}
