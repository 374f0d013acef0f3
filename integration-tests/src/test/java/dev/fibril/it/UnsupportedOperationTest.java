/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.sim.SimulatedKernel;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a backend without an optional operation gets: the call that needs it is refused up front
 * with {@link UnsupportedOperationException} naming the operation and the backend, or it takes a
 * path that does without (sendFile without SPLICE reads and sends), never an EINVAL per call.
 */
class UnsupportedOperationTest {

    @Test
    void shouldRefuseAReadTimeoutUpFrontOnABackendWithoutLinkTimeout() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend(new WithoutLinkTimeout()).strict(true).build()) {
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 4);
            FibrilSocketChannel client = rt.openSocket();
            client.connect(server.localAddress());
            FibrilSocketChannel peer = server.accept();
            UnsupportedOperationException refused = assertThrows(UnsupportedOperationException.class,
                    () -> client.readTimeout(Duration.ofMillis(50)));
            assertTrue(refused.getMessage().contains("link_timeout") && refused.getMessage().contains("no-link-timeout"),
                    refused.getMessage());
            assertEquals(Duration.ZERO, client.readTimeout(), "left as it was");
            client.readTimeout(Duration.ZERO); // no bound needs no LINK_TIMEOUT
            peer.write(ByteBuffer.wrap("ok".getBytes()));
            ByteBuffer got = ByteBuffer.allocate(2);
            while (got.hasRemaining()) {
                client.read(got);
            }
            assertArrayEquals("ok".getBytes(), got.array(), "reads go on unbounded");
            client.close();
            peer.close();
            server.close();
        }
    }

    @Test
    void shouldSendAFileWithoutSpliceByReadingAndSending() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").strict(true).build()) {
            assertTrue(!rt.backend().supports(Op.SPLICE), "the simulated kernel has no pipes");
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 4);
            FibrilSocketChannel client = rt.openSocket();
            client.connect(server.localAddress());
            FibrilSocketChannel peer = server.accept();
            byte[] data = new byte[100_000];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31);
            }
            try (FibrilFileChannel f = rt.openFile(Path.of("/unsupported/file"), READ, WRITE, CREATE)) {
                f.write(ByteBuffer.wrap(data), 0);
                Thread sender = rt.start(() -> {
                    try {
                        assertEquals(data.length, client.sendFile(f, 0, data.length));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                ByteBuffer got = ByteBuffer.allocate(data.length);
                while (got.hasRemaining()) {
                    peer.read(got);
                }
                assertTrue(sender.join(Duration.ofSeconds(30)));
                assertArrayEquals(data, got.array());
            }
            client.close();
            peer.close();
            server.close();
        }
    }

    /** The simulated kernel, minus LINK_TIMEOUT. */
    private static final class WithoutLinkTimeout extends ForwardingBackend {
        WithoutLinkTimeout() {
            super(SimulatedKernel.builder().build());
        }

        @Override
        public String name() {
            return "no-link-timeout";
        }

        @Override
        public boolean supports(int op) {
            return op != Op.LINK_TIMEOUT && inner.supports(op);
        }

    }
}
