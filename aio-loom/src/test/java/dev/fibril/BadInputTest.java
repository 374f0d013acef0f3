/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.IoBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every public entry point's answer to bad input: a standard exception whose message names the problem. */
class BadInputTest {
    private FibrilRuntime runtime;

    @BeforeEach
    void start() {
        runtime = Fibril.runtime().carriers(1).backend("simulated").strict(true).build();
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    private static void assertMessage(Class<? extends Throwable> type, String fragment, Executable call) {
        Throwable e = assertThrows(type, call);
        assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
                "message of " + e + " should mention '" + fragment + "'");
    }

    @Test
    void shouldRejectBadBuilderSettings() {
        assertMessage(IllegalArgumentException.class, "carriers", () -> Fibril.runtime().carriers(0));
        assertMessage(IllegalArgumentException.class, "pool size", () -> Fibril.runtime().descriptorPoolSize(0));
        assertMessage(IllegalArgumentException.class, "bound", () -> Fibril.runtime().descriptorPoolBound(-1));
        assertMessage(IllegalArgumentException.class, "exceeds its bound",
                () -> Fibril.runtime().descriptorPoolSize(100).descriptorPoolBound(10).build());
        assertMessage(IllegalArgumentException.class, "negative close timeout",
                () -> Fibril.runtime().closeTimeout(Duration.ofSeconds(-1)));
        assertMessage(IllegalArgumentException.class, "unknown Fibril backend 'kqueue'",
                () -> Fibril.runtime().backend("kqueue").build());
        assertThrows(NullPointerException.class, () -> Fibril.runtime().backend((String) null));
    }

    @Test
    void shouldRejectBadFileArguments() throws Exception {
        assertMessage(UnsupportedOperationException.class, "DELETE_ON_CLOSE",
                () -> runtime.openFile(Path.of("/f"), StandardOpenOption.DELETE_ON_CLOSE));
        assertMessage(IllegalArgumentException.class, "APPEND and TRUNCATE_EXISTING",
                () -> runtime.openFile(Path.of("/f"), StandardOpenOption.APPEND, StandardOpenOption.TRUNCATE_EXISTING));
        try (FibrilFileChannel f = runtime.openFile(Path.of("/f"), READ, WRITE, CREATE)) {
            assertMessage(IllegalArgumentException.class, "negative file position", () -> f.read(ByteBuffer.allocate(1), -1));
            assertMessage(IllegalArgumentException.class, "negative file position", () -> f.write(ByteBuffer.allocate(1), -5));
            assertMessage(IllegalArgumentException.class, "negative file position", () -> f.position(-1));
            assertMessage(IllegalArgumentException.class, "negative size", () -> f.truncate(-1));
            assertMessage(IllegalArgumentException.class, "read-only buffer",
                    () -> f.read(ByteBuffer.allocate(4).asReadOnlyBuffer(), 0));
            assertMessage(IllegalArgumentException.class, "read-only buffer", () -> f.read(ByteBuffer.allocate(4).asReadOnlyBuffer()));
            assertMessage(NullPointerException.class, "dst", () -> f.read(null, 0));
            assertMessage(NullPointerException.class, "src", () -> f.write(null));
            assertEquals(0, f.read(ByteBuffer.allocate(0), 0), "an empty buffer reads nothing");
        }
        try (FibrilFileChannel ro = runtime.openFile(Path.of("/f"), READ)) {
            assertThrows(NonWritableChannelException.class, () -> ro.write(ByteBuffer.allocate(1), 0));
            assertThrows(NonWritableChannelException.class, () -> ro.truncate(0));
        }
        try (FibrilFileChannel wo = runtime.openFile(Path.of("/f"), WRITE)) {
            assertThrows(NonReadableChannelException.class, () -> wo.read(ByteBuffer.allocate(1), 0));
        }
    }

    @Test
    void shouldRejectCallsOnClosedChannels() throws Exception {
        FibrilFileChannel f = runtime.openFile(Path.of("/g"), READ, WRITE, CREATE);
        f.close();
        f.close(); // idempotent
        assertThrows(ClosedChannelException.class, () -> f.read(ByteBuffer.allocate(1), 0));
        assertThrows(ClosedChannelException.class, () -> f.write(ByteBuffer.allocate(1)));
        assertThrows(ClosedChannelException.class, f::size);
        assertThrows(ClosedChannelException.class, () -> f.force(true));
        assertThrows(ClosedChannelException.class, f::position);
        FibrilSocketChannel s = runtime.openSocket();
        s.close();
        assertThrows(ClosedChannelException.class, () -> s.connect(new InetSocketAddress("127.0.0.1", 1)));
        assertThrows(ClosedChannelException.class, () -> s.read(ByteBuffer.allocate(1)));
        assertThrows(ClosedChannelException.class, () -> s.setOption(StandardSocketOptions.TCP_NODELAY, true));
        assertThrows(ClosedChannelException.class, () -> s.getOption(StandardSocketOptions.SO_RCVBUF));
        FibrilServerSocketChannel server = runtime.openServerSocket();
        server.close();
        assertThrows(ClosedChannelException.class, server::accept);
        assertThrows(ClosedChannelException.class, () -> server.bind(null, 10));
    }

    @Test
    void shouldRejectBadSocketArguments() throws Exception {
        try (FibrilServerSocketChannel server = runtime.openServerSocket(); FibrilSocketChannel s = runtime.openSocket()) {
            assertThrows(NotYetBoundException.class, server::accept);
            assertMessage(IllegalArgumentException.class, "backlog", () -> server.bind(null, 0));
            assertThrows(UnsupportedAddressTypeException.class, () -> server.bind(UnixDomainSocketAddress.of("/tmp/x"), 1));
            server.bind(new InetSocketAddress("127.0.0.1", 0), 16);
            assertThrows(AlreadyBoundException.class, () -> server.bind(null, 16));
            assertThrows(NotYetConnectedException.class, () -> s.read(ByteBuffer.allocate(1)));
            assertThrows(NotYetConnectedException.class, () -> s.write(ByteBuffer.allocate(1)));
            assertThrows(NotYetConnectedException.class, s::shutdownOutput);
            assertThrows(UnsupportedAddressTypeException.class, () -> s.connect(UnixDomainSocketAddress.of("/tmp/x")));
            assertMessage(IllegalArgumentException.class, "unresolved",
                    () -> s.connect(InetSocketAddress.createUnresolved("nowhere.invalid", 80)));
            assertMessage(NullPointerException.class, "remote", () -> s.connect((SocketAddress) null));
            assertMessage(IllegalArgumentException.class, "read-only buffer", () -> s.read(ByteBuffer.allocate(1).asReadOnlyBuffer()));
        }
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void shouldRejectBadSocketOptions() throws Exception {
        try (FibrilSocketChannel s = runtime.openSocket()) {
            assertMessage(UnsupportedOperationException.class, "SO_LINGER", () -> s.setOption(StandardSocketOptions.SO_LINGER, 5));
            assertMessage(UnsupportedOperationException.class, "IP_TOS", () -> s.getOption(StandardSocketOptions.IP_TOS));
            assertMessage(NullPointerException.class, "name", () -> s.setOption(null, true));
            assertMessage(NullPointerException.class, "name", () -> s.getOption(null));
            assertMessage(NullPointerException.class, "value", () -> s.setOption(StandardSocketOptions.TCP_NODELAY, null));
            assertMessage(IllegalArgumentException.class, "SO_RCVBUF must be positive", () -> s.setOption(StandardSocketOptions.SO_RCVBUF, 0));
            assertMessage(IllegalArgumentException.class, "SO_SNDBUF must be positive", () -> s.setOption(StandardSocketOptions.SO_SNDBUF, -1));
            SocketOption raw = StandardSocketOptions.SO_KEEPALIVE;
            assertMessage(IllegalArgumentException.class, "SO_KEEPALIVE takes a Boolean", () -> s.setOption(raw, 1));
            assertEquals(Set.of(StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.SO_KEEPALIVE,
                    StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_SNDBUF), s.supportedOptions());
            assertThrows(UnsupportedOperationException.class, () -> s.supportedOptions().clear(), "read-only");
        }
    }

    @Test
    void shouldRejectBadSleepAndBatchUse() throws Exception {
        assertMessage(IllegalArgumentException.class, "negative sleep", () -> Fibril.sleep(Duration.ofMillis(-1)));
        assertMessage(IllegalStateException.class, "fibril of this runtime", runtime::newBatch);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = runtime.start(() -> {
            try (IoBatch batch = runtime.newBatch()) {
                assertMessage(IllegalArgumentException.class, "negative completion count", () -> batch.await(-1, (tag, r) -> { }));
                assertMessage(IllegalArgumentException.class, "negative file position",
                        () -> batch.read(runtime.openFile(Path.of("/h"), READ, WRITE, CREATE), ByteBuffer.allocate(1), -1, 0));
                assertMessage(IllegalArgumentException.class, "not a file channel of this runtime",
                        () -> batch.fsync(null, 0));
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(30)));
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    @Test
    void shouldRefuseToCloseTheRuntimeFromItsOwnFibril() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = runtime.start(() -> {
            try {
                runtime.close();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(30)));
        assertTrue(thrown.get() instanceof IllegalStateException && thrown.get().getMessage().contains("own fibrils"),
                String.valueOf(thrown.get()));
    }

    @Test
    void shouldRejectCallsAfterRuntimeClose() throws Exception {
        FibrilFileChannel open = runtime.openFile(Path.of("/i"), READ, WRITE, CREATE);
        runtime.close();
        assertMessage(ClosedChannelException.class, "closed", () -> runtime.openFile(Path.of("/i"), READ));
        assertMessage(ClosedChannelException.class, "closed", runtime::openSocket);
        assertThrows(ClosedChannelException.class, () -> open.read(ByteBuffer.allocate(1), 0),
                "closing the runtime closes its channels");
        assertMessage(IllegalArgumentException.class, "negative close timeout", () -> runtime.close(Duration.ofSeconds(-1)));
    }
}
