/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Socket channels on the simulated kernel: connect/accept, echo, half-close, and a platform
 * thread's blocked call cancelled by interrupt. (Blocking behaviour per backend is in the
 * integration tests' channel contract suite.)
 */
class SocketChannelTest {
    private FibrilRuntime runtime;
    private FibrilServerSocketChannel server;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        runtime = Fibril.runtime().carriers(2).backend("simulated").strict(true).build();
        server = runtime.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 64);
        address = server.localAddress();
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    /** Accepts one connection in a fibril and echoes it until end of stream, then half-closes. */
    private Thread echoOnce() {
        return runtime.start(() -> {
            try (FibrilSocketChannel s = server.accept()) {
                ByteBuffer buf = ByteBuffer.allocate(1024);
                while (s.read(buf.clear()) >= 0) {
                    s.write(buf.flip());
                }
                s.shutdownOutput();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void shouldEchoAndSeeEndOfStreamAfterHalfClose() throws Exception {
        Thread echo = echoOnce();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread client = runtime.start(() -> {
            try (FibrilSocketChannel s = runtime.openSocket()) {
                s.connect(address);
                assertTrue(s.isConnected());
                assertEquals(address, s.remoteAddress());
                assertThrows(AlreadyConnectedException.class, () -> s.connect(address));
                byte[] payload = new byte[100_000];
                for (int i = 0; i < payload.length; i++) {
                    payload[i] = (byte) (i * 31);
                }
                assertEquals(payload.length, s.write(ByteBuffer.wrap(payload)));
                s.shutdownOutput();
                ByteBuffer back = ByteBuffer.allocate(payload.length + 1);
                while (back.hasRemaining()) {
                    if (s.read(back) < 0) {
                        break;
                    }
                }
                assertEquals(payload.length, back.position());
                assertEquals(ByteBuffer.wrap(payload), back.flip());
                assertEquals(-1, s.read(ByteBuffer.allocate(1)), "peer half-closed after echoing");
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(client.join(Duration.ofSeconds(30)));
        assertTrue(echo.join(Duration.ofSeconds(30)));
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    @Test
    void shouldRefuseConnectionWhenNobodyListens() throws Exception {
        try (FibrilSocketChannel s = runtime.openSocket()) {
            ErrnoException e = assertThrows(ErrnoException.class, () -> s.connect(new InetSocketAddress("127.0.0.1", 1)));
            assertEquals(Errno.ECONNREFUSED, e.errno());
            assertFalse(s.isConnected());
        }
    }

    private FibrilSocketChannel connectedClient() throws Exception {
        FibrilSocketChannel s = runtime.openSocket();
        s.connect(address);
        return s;
    }

    @Test
    void shouldCancelForeignThreadCallWhenInterrupted() throws Exception {
        FibrilSocketChannel client = connectedClient();
        FibrilSocketChannel peer = server.accept();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                client.read(ByteBuffer.allocate(16));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await().until(() -> reader.getState() == Thread.State.WAITING);
        reader.interrupt();
        assertTrue(reader.join(Duration.ofSeconds(30)));
        assertInstanceOf(ClosedByInterruptException.class, thrown.get());
        peer.close();
        await().until(() -> runtime.stats().descriptorsInUse() == 0);
    }
}
