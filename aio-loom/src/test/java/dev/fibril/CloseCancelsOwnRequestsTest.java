/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing a channel with calls in progress cancels that channel's requests, and no others. The
 * cancel reaches the carriers after close returns; by then the fd may be closed and its number
 * (the lowest free one) given to a new channel, whose requests must be left alone.
 */
class CloseCancelsOwnRequestsTest {
    private static final Pattern FD = Pattern.compile("\\[fd (\\d+)");

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void shouldNotCancelTheRequestsOfAChannelThatReusedTheFdNumber() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").strict(true).build()) {
            FibrilServerSocketChannel first = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
            InetSocketAddress firstAddress = first.localAddress();
            CompletableFuture<Void> reading = new CompletableFuture<>();
            CompletableFuture<String> fds = new CompletableFuture<>();
            CompletableFuture<InetSocketAddress> secondAddress = new CompletableFuture<>();
            CompletableFuture<Object> accepted = new CompletableFuture<>();
            Thread fibril = rt.start(() -> {
                try (FibrilSocketChannel reader = rt.openSocket()) {
                    reader.connect(firstAddress);
                    try {
                        reading.complete(null);
                        reader.read(ByteBuffer.allocate(8)); // nobody writes: only the interrupt ends it
                        throw new AssertionError("read returned");
                    } catch (ClosedByInterruptException expected) {
                        // the read closed its channel while still counted in, so the cancel for
                        // that channel is queued on the carrier and runs when this fibril parks
                    }
                    Thread.interrupted();
                    // No park in between: the lowest free fd is the one just closed.
                    try (FibrilServerSocketChannel second = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8)) {
                        fds.complete(reader + " " + second);
                        secondAddress.complete(second.localAddress());
                        try (FibrilSocketChannel s = second.accept()) { // parks: the queued cancel runs now
                            accepted.complete(s.isConnected());
                        }
                    }
                } catch (Throwable e) {
                    secondAddress.completeExceptionally(e);
                    accepted.complete(e);
                }
            });
            reading.get(10, TimeUnit.SECONDS);
            await().until(() -> fibril.getState() == Thread.State.WAITING); // parked in the read
            fibril.interrupt();

            InetSocketAddress address = secondAddress.get(10, TimeUnit.SECONDS);
            String channels = fds.getNow("");
            List<String> numbers = FD.matcher(channels).results().map(r -> r.group(1)).toList();
            assertEquals(2, numbers.size(), channels);
            assertEquals(numbers.get(0), numbers.get(1), "the scenario needs the new channel to reuse the fd number: " + channels);

            // Before any client connects, the accept must still be pending: a cancel meant for the
            // closed channel would have ended it by now.
            await().during(java.time.Duration.ofMillis(200)).atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> !accepted.isDone());
            assertFalse(accepted.isDone(), () -> "accept ended with no client: " + accepted.getNow(null));
            try (FibrilSocketChannel client = rt.openSocket()) {
                client.connect(address);
                assertEquals(Boolean.TRUE, accepted.get(10, TimeUnit.SECONDS),
                        "accept on the channel that reused the fd number");
            }
            assertTrue(fibril.join(Duration.ofSeconds(10)));
            first.close();
        }
    }
}
