/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a fibril does that only its carrier can serve: timers on the carrier's ring and a socket
 * round trip whose both ends are fibrils. Run next to a fibril that holds the carrier's thread, it
 * finishes only if the carrier is driven by another thread meanwhile.
 */
final class NeighbourWork {
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    private NeighbourWork() {
    }

    /** 100 sleeps of 1 ms, then one echo round trip over loopback; call it from a fibril of {@code rt}. */
    static void sleepsAndAnEcho(FibrilRuntime rt) throws Exception {
        for (int i = 0; i < 100; i++) {
            Fibril.sleep(Duration.ofMillis(1));
        }
        echoRoundTrip(rt);
    }

    /** Sends "hello" to an echo fibril over loopback and checks what comes back; call it from a fibril of {@code rt}. */
    static void echoRoundTrip(FibrilRuntime rt) throws Exception {
        try (FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
             FibrilSocketChannel client = rt.openSocket()) {
            AtomicReference<Throwable> echoFailure = new AtomicReference<>();
            Thread echo = rt.start(() -> {
                try (FibrilSocketChannel peer = server.accept()) {
                    ByteBuffer b = readFully(peer, HELLO.length);
                    while (b.hasRemaining()) {
                        peer.write(b);
                    }
                } catch (Throwable e) {
                    echoFailure.set(e);
                }
            });
            client.connect(server.localAddress());
            ByteBuffer out = ByteBuffer.wrap(HELLO);
            while (out.hasRemaining()) {
                client.write(out);
            }
            ByteBuffer back = readFully(client, HELLO.length);
            if (!back.equals(ByteBuffer.wrap(HELLO))) {
                throw new AssertionError("the echo differs: " + StandardCharsets.US_ASCII.decode(back));
            }
            if (!echo.join(Duration.ofSeconds(30))) {
                throw new AssertionError("the echo fibril did not finish");
            }
            if (echoFailure.get() != null) {
                throw new AssertionError("the echo fibril failed", echoFailure.get());
            }
        }
    }

    private static ByteBuffer readFully(FibrilSocketChannel s, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (s.read(b) < 0) {
                throw new AssertionError("end of stream after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.flip();
    }
}
