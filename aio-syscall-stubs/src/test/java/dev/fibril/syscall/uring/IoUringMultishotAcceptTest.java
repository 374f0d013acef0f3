/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A multishot ACCEPT on one ring: one request, one completion with {@link IoRequest#more()} per
 * connection while its slot stays in flight, then one last completion without it; a ring closed
 * with it armed closes the fds nobody took; a ring without the feature refuses the request.
 */
class IoUringMultishotAcceptTest extends IoUringTestBase {
    private static final Duration BOUND = Duration.ofSeconds(30);

    /** Every completion, in order: request, result, more. */
    private record Seen(IoRequest request, int result, boolean more) {
    }

    private final List<Seen> seen = new ArrayList<>();
    private final CompletionSink sink = (r, result) -> seen.add(new Seen(r, result, r.more()));

    @Test
    void shouldCompleteOncePerConnectionWithMoreThenOnceWithoutAfterACancel() throws Exception {
        assumeMultishot();
        int server = listen();
        int before = backend.openDescriptors();
        IoRequest accept = multishotAccept(server);
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                clients.add(new Socket(InetAddress.getLoopbackAddress(), backend.localAddress(server).getPort()));
            }
            reapUntil(3);
            assertEquals(1, ring.inFlight(), "one request for every connection, still in flight");
            for (Seen s : seen) {
                assertTrue(s.request == accept && s.more && s.result >= 0, "an accepted fd with more to come: " + s);
            }
            assertEquals(before + 3, backend.openDescriptors(), "the accepted fds are counted");
            IoRequest cancel = driver.cancelOf(accept);
            assertTrue(ring.enqueue(cancel));
            reapUntil(5); // the cancel's own completion, and the ACCEPT's last
            Seen last = seen.stream().skip(3).filter(x -> x.request == accept).findFirst().orElseThrow();
            assertEquals(1, seen.stream().filter(x -> x.request == cancel).count(), "the cancel completes once");
            assertTrue(last.request == accept && !last.more && last.result == -Errno.ECANCELED, "the last completion: " + last);
            for (Seen s : seen.subList(0, 3)) {
                assertEquals(0, backend.close(s.result));
            }
        } finally {
            for (Socket c : clients) {
                c.close();
            }
            backend.close(server);
        }
        assertEquals(0, ring.inFlight());
    }

    @Test
    void shouldCloseTheFdsNobodyTookWhenTheRingClosesWithTheAcceptArmed() throws Exception {
        assumeMultishot();
        int server = listen();
        int before = backend.openDescriptors();
        long fdsBefore = openFds();
        multishotAccept(server);
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), backend.localAddress(server).getPort())) {
            // the client's fd, and the one the kernel accepted into the CQ, which nobody reaps
            await().atMost(BOUND).pollInSameThread().until(() -> {
                ring.await(10_000_000L); // enters the kernel, which runs the accept's task work
                return openFds() >= fdsBefore + 2; // the client's fd and the accepted one, in the CQ unreaped
            });
            ring.close(); // cancels the ACCEPT and reaps it undelivered: its fd is closed
            ring = null;
            client.setSoTimeout((int) BOUND.toMillis());
            assertEquals(-1, client.getInputStream().read(), "the accepted end was closed with the ring");
            assertEquals(before, backend.openDescriptors(), "descriptors the backend counts");
        } finally {
            backend.close(server);
            backend.close();
        }
    }

    private static long openFds() throws java.io.IOException {
        try (var s = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void shouldRefuseAMultishotAcceptWhereTheFeatureIsOff() {
        FeatureSwitch.reopenWithout(this, IoUringFeature.ACCEPT_MULTISHOT);
        assertFalse(backend.acceptsMultishot());
        assertFalse(backend.features(false).isActive("accept_multishot"));
        int server = listen();
        try {
            IoRequest accept = driver.withOpFlags(driver.request(Op.ACCEPT, server, null, 0, 0, 0), IoRequest.ACCEPT_MULTISHOT);
            assertEquals(-Errno.EINVAL, driver.run(accept));
        } finally {
            backend.close(server);
        }
    }

    private void assumeMultishot() {
        assumeTrue(backend.acceptsMultishot(), () -> "multishot accept off: "
                + backend.ioUringFeatures().reason(IoUringFeature.ACCEPT_MULTISHOT));
    }

    private int listen() {
        int server = backend.socket();
        assertTrue(server >= 0, "socket: " + server);
        assertEquals(0, backend.listen(server, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16));
        return server;
    }

    private IoRequest multishotAccept(int server) {
        IoRequest accept = driver.withOpFlags(driver.request(Op.ACCEPT, server, null, 0, 0, 0), IoRequest.ACCEPT_MULTISHOT);
        assertTrue(ring.enqueue(accept));
        ring.flush();
        return accept;
    }

    private void reapUntil(int completions) {
        await().atMost(BOUND).pollInSameThread().until(() -> {
            ring.flush();
            ring.reap(sink, 64);
            if (seen.size() < completions) {
                ring.await(10_000_000L);
            }
            return seen.size() >= completions;
        });
    }
}
