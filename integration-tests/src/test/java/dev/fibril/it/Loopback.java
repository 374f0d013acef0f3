/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loopback connections of a runtime's own channels, and the small steps the receive tests share. */
final class Loopback {
    static final Duration PATIENCE = Duration.ofSeconds(30);

    private Loopback() {
    }

    /** A connected pair: {client, accepted}; made from a fibril, so both live on the runtime. */
    static FibrilSocketChannel[] pair(FibrilRuntime rt) throws Exception {
        FibrilSocketChannel[] out = new FibrilSocketChannel[2];
        inFibril(rt, () -> {
            try (FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8)) {
                out[0] = rt.openSocket();
                out[0].connect(server.localAddress());
                out[1] = server.accept();
            }
        });
        return out;
    }

    static void send(FibrilSocketChannel ch, String text) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    static String text(ByteBuffer b) {
        return StandardCharsets.US_ASCII.decode(b.duplicate()).toString();
    }

    /** Runs {@code body} in a fibril of {@code rt} and waits for it; fails with what it threw. */
    static void inFibril(FibrilRuntime rt, PinnedInitializer.Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = rt.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(PATIENCE), "the fibril finished");
        assertNull(failure.get(), () -> "the fibril threw " + failure.get());
    }
}
