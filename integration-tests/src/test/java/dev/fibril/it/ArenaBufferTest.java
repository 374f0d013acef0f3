/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.IoBatch;
import dev.fibril.syscall.uring.IoUringBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Direct buffers that belong to a closeable {@link Arena}: the runtime holds the buffer's memory
 * session while the kernel may use the memory, as java.nio's channels do, on every backend. A
 * closed arena's buffer is refused before anything is submitted; an arena cannot be closed under
 * a request in flight.
 */
class ArenaBufferTest {
    private FibrilRuntime rt;
    private FibrilSocketChannel accepted;
    private FibrilSocketChannel client;

    private void start(String backend) throws Exception {
        if (backend.equals("io_uring")) {
            assumeTrue(IoUringBackend.probe().available(), "io_uring cannot run here: " + IoUringBackend.probe().reason());
        }
        rt = Fibril.runtime().carriers(1).backend(backend).strict(true).build();
        FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
        client = rt.openSocket();
        client.connect(server.localAddress());
        accepted = server.accept();
        server.close();
    }

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    /** Runs {@code call} on a fibril and returns what it returned or threw. */
    private Object onFibril(Call call) {
        AtomicReference<Object> outcome = new AtomicReference<>();
        rt.start(() -> {
            try {
                outcome.set(call.run());
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> outcome.get() != null);
        return outcome.get();
    }

    private interface Call {
        Object run() throws Exception;
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRefuseABufferOfAClosedArenaWithIllegalStateException(String backend) throws Exception {
        start(backend);
        Arena arena = Arena.ofShared();
        ByteBuffer closed = arena.allocate(64).asByteBuffer();
        arena.close();
        for (Call call : new Call[] {() -> accepted.read(closed), () -> client.write(closed)}) {
            IllegalStateException e = assertInstanceOf(IllegalStateException.class, onFibril(call));
            assertTrue(e.getMessage().contains("not usable for I/O"), e.getMessage());
        }
        assertThrows(IllegalStateException.class, () -> client.write(closed), "from a platform thread too");
        assertEquals(0, rt.stats().descriptorsInUse(), "a refused call gives its descriptor back");
        assertTrue(accepted.isOpen() && client.isOpen(), "the channels stay usable");
        ByteBuffer ok = ByteBuffer.allocateDirect(8);
        client.write(ByteBuffer.wrap("ok".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(2, onFibril(() -> accepted.read(ok)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldKeepASharedArenaFromClosingWhileAReadIntoItIsInFlight(String backend) throws Exception {
        start(backend);
        Arena arena = Arena.ofShared();
        ByteBuffer buf = arena.allocate(64).asByteBuffer();
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread reader = rt.start(() -> {
            try {
                outcome.set(accepted.read(buf));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> reader.getState() == Thread.State.WAITING
                && rt.stats().descriptorsInUse() == 1);
        assertThrows(IllegalStateException.class, arena::close, "the kernel may still write the memory");
        client.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        await().atMost(Duration.ofSeconds(20)).until(() -> outcome.get() != null);
        assertEquals(5, outcome.get());
        assertEquals("hello", StandardCharsets.US_ASCII.decode(buf.flip()).toString());
        arena.close(); // released once the completion was reaped
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldKeepAnArenaFromClosingWhileABatchRequestIntoItIsOutstanding(String backend) throws Exception {
        start(backend);
        Arena arena = Arena.ofShared();
        ByteBuffer buf = arena.allocate(64).asByteBuffer();
        AtomicReference<IoBatch> batch = new AtomicReference<>();
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread owner = rt.start(() -> {
            try (IoBatch b = rt.newBatch()) {
                batch.set(b);
                b.recv(accepted, buf, 7);
                b.submit();
                int[] result = new int[1];
                b.await(1, (tag, res) -> result[0] = res);
                outcome.set(result[0]);
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> batch.get() != null && owner.getState() == Thread.State.WAITING);
        assertThrows(IllegalStateException.class, arena::close);
        client.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)));
        await().atMost(Duration.ofSeconds(20)).until(() -> outcome.get() != null);
        assertEquals(3, outcome.get());
        arena.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "simulated"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldReadIntoAConfinedArenaOfTheCallingThread(String backend) throws Exception {
        start(backend);
        client.write(ByteBuffer.wrap("fibril".getBytes(StandardCharsets.US_ASCII)));
        Object fromFibril = onFibril(() -> {
            try (Arena arena = Arena.ofConfined()) {
                ByteBuffer buf = arena.allocate(64).asByteBuffer();
                int n = accepted.read(buf);
                return n + ":" + StandardCharsets.US_ASCII.decode(buf.flip());
            }
        });
        assertEquals("6:fibril", fromFibril);
        client.write(ByteBuffer.wrap("thread".getBytes(StandardCharsets.US_ASCII)));
        try (Arena arena = Arena.ofConfined()) { // a platform thread's call goes through the carrier
            ByteBuffer buf = arena.allocate(64).asByteBuffer();
            assertEquals(6, accepted.read(buf));
            assertEquals("thread", StandardCharsets.US_ASCII.decode(buf.flip()).toString());
        }
    }
}
