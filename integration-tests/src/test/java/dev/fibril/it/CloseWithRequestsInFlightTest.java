/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.sim.Latency;
import dev.fibril.syscall.sim.SimulatedKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * close() while fibrils and a platform thread are blocked in requests that would never complete
 * by themselves: it returns, and every blocked call ends exactly once with a clear exception.
 */
class CloseWithRequestsInFlightTest {

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldNeitherHangNorLoseACompletionWhenClosedWithRequestsInFlight() throws Exception {
        SimulatedKernel sim = SimulatedKernel.builder().latency(Op.READ, Latency.fixed(Duration.ofHours(1))).build();
        FibrilRuntime rt = Fibril.runtime().carriers(2).backend(sim).strict(true).build();
        FibrilFileChannel file = rt.openFile(Path.of("/slow"), READ, WRITE, CREATE);
        FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
        FibrilSocketChannel client = rt.openSocket();
        client.connect(server.localAddress());
        FibrilSocketChannel accepted = server.accept();

        AtomicInteger started = new AtomicInteger();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        List<Thread> blocked = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 100; i++) {
            blocked.add(rt.start(() -> outcome(outcomes, started, () -> file.read(ByteBuffer.allocate(8), 0))));
        }
        blocked.add(rt.start(() -> outcome(outcomes, started, () -> accepted.read(ByteBuffer.allocate(8)))));
        blocked.add(Thread.ofPlatform().start(() -> outcome(outcomes, started, () -> file.read(ByteBuffer.allocate(8), 0))));
        await().until(() -> blocked.stream().allMatch(t -> t.getState() == Thread.State.WAITING));

        rt.close(Duration.ofMillis(200));

        for (Thread t : blocked) {
            assertTrue(t.join(Duration.ofSeconds(30)), "still blocked after close: " + t);
        }
        int ended = outcomes.values().stream().mapToInt(AtomicInteger::get).sum();
        assertEquals(started.get(), ended, "every call ended exactly once: " + outcomes);
        assertEquals(102, ended);
        // An interrupted fibril closes its channel (as java.nio does), which cancels the other calls on
        // it: each of those ends with ClosedByInterruptException or AsynchronousCloseException,
        // whichever reached it first. Nothing else is allowed: no result, no other error.
        int interrupted = outcomes.getOrDefault(ClosedByInterruptException.class.getSimpleName(), new AtomicInteger()).get();
        int closedUnder = outcomes.getOrDefault(AsynchronousCloseException.class.getSimpleName(), new AtomicInteger()).get();
        assertEquals(102, interrupted + closedUnder, "outcomes: " + outcomes);
        assertTrue(interrupted >= 1, "at least the first interrupted fibril sees its interrupt: " + outcomes);
        RuntimeStats stats = rt.stats();
        assertEquals(0, stats.descriptorsInUse(), "descriptors released only after their completions: " + stats);
        assertEquals(stats.submissions(), stats.completions() + stats.retries(), "no completion lost: " + stats);
        assertEquals(0, sim.openDescriptors(), "closing the runtime closed every fd");
    }

    interface Io {
        int run() throws IOException;
    }

    private static void outcome(Map<String, AtomicInteger> outcomes, AtomicInteger started, Io io) {
        started.incrementAndGet();
        String key;
        try {
            key = "returned " + io.run();
        } catch (IOException e) {
            key = e.getClass().getSimpleName();
        }
        outcomes.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }
}
