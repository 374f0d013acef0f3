/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Op;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A blocked read ended by another fibril's close, by an interrupt, and by its read timeout (or not, when data comes in time). */
@ParameterizedClass
@EnumSource(ChannelBackend.class)
class SocketCloseContractTest extends ChannelContract {
    SocketCloseContractTest(ChannelBackend backend) {
        super(backend);
    }

    @Test
    void shouldFailABlockedReadWithAsynchronousCloseWhenAnotherFibrilCloses() throws Exception {
        FibrilSocketChannel client = rt.openSocket();
        client.connect(address);
        FibrilSocketChannel peer = server.accept();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread reader = rt.start(() -> {
            try {
                client.read(ByteBuffer.allocate(8));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await().until(() -> reader.getState() == Thread.State.WAITING);
        rt.start(() -> {
            try {
                client.close();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(reader.join(Duration.ofSeconds(30)));
        assertInstanceOf(AsynchronousCloseException.class, thrown.get());
        peer.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    void shouldCancelAndCloseOnInterruptWhileBlocked() throws Exception {
        FibrilSocketChannel client = rt.openSocket();
        client.connect(address);
        FibrilSocketChannel peer = server.accept();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread reader = rt.start(() -> {
            try {
                client.read(ByteBuffer.allocate(8));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await().until(() -> reader.getState() == Thread.State.WAITING);
        reader.interrupt();
        assertTrue(reader.join(Duration.ofSeconds(30)));
        assertInstanceOf(ClosedByInterruptException.class, thrown.get());
        assertFalse(client.isOpen());
        peer.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    void shouldTimeOutAReadWithoutClosingTheChannel() throws Exception {
        assumeTrue(rt.backend().supports(Op.LINK_TIMEOUT), backend() + " has no LINK_TIMEOUT");
        inFibril(() -> {
            try (FibrilSocketChannel client = rt.openSocket()) {
                client.connect(address);
                try (FibrilSocketChannel peer = server.accept()) {
                    client.readTimeout(Duration.ofMillis(50));
                    try {
                        client.read(ByteBuffer.allocate(4));
                        throw new AssertionError("read returned without data");
                    } catch (SocketTimeoutException expected) {
                        assertTrue(expected.getMessage().contains("timed out"), expected.getMessage());
                    }
                    assertTrue(client.isOpen(), "a timed-out read leaves the channel open");
                    peer.write(ByteBuffer.wrap("late".getBytes()));
                    client.readTimeout(Duration.ofSeconds(30));
                    ByteBuffer got = ByteBuffer.allocate(4);
                    readFully(client, got);
                    assertArrayEquals("late".getBytes(), got.array());
                }
            }
        });
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    void shouldNotTimeOutAReadWhoseDataArrivesInTime() throws Exception {
        assumeTrue(rt.backend().supports(Op.LINK_TIMEOUT), backend() + " has no LINK_TIMEOUT");
        FibrilSocketChannel client = rt.openSocket();
        client.connect(address);
        FibrilSocketChannel peer = server.accept();
        client.readTimeout(Duration.ofSeconds(30));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        ByteBuffer got = ByteBuffer.allocate(8);
        Thread reader = rt.start(() -> {
            try {
                readFully(client, got.limit(4));
                readFully(client, got.limit(8)); // a second bounded read, after the first one's timer was disarmed
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await().until(() -> reader.getState() == Thread.State.WAITING);
        peer.write(ByteBuffer.wrap("in t".getBytes()));
        await().until(() -> got.position() == 4 && reader.getState() == Thread.State.WAITING);
        peer.write(ByteBuffer.wrap("ime!".getBytes()));
        assertTrue(reader.join(Duration.ofSeconds(30)));
        if (thrown.get() != null) {
            throw new AssertionError("the bounded reads failed", thrown.get());
        }
        assertArrayEquals("in time!".getBytes(), got.array());
        assertTrue(client.isOpen());
        client.close();
        peer.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }
}
