/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.syscall.RingDriver;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A carrier parks a RECV on a fresh connection while another thread closes that fd at a random
 * moment: before the RECV starts (EBADF), between its try and its park (the ring sees the close
 * itself), while it is parked or while the carrier selects (close's command). Every RECV must
 * complete exactly once, with EBADF or ECANCELED; a lost cancel shows as a RECV still pending
 * after 10 s, a duplicate as a second completion in the driver.
 */
@Tag("slow")
class EpollCloseALotTest {
    private static final int ROUNDS = 2_000;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldCompleteEveryRecvOnceWhateverMomentItsFdIsClosed() throws Exception {
        try (EpollBackend backend = new EpollBackend()) {
            int server = backend.socket();
            assertEquals(0, backend.listen(server, new InetSocketAddress("127.0.0.1", 0), 64));
            InetSocketAddress address = backend.localAddress(server);
            AtomicInteger published = new AtomicInteger(-1);
            AtomicInteger round = new AtomicInteger(-1);
            AtomicInteger closedRound = new AtomicInteger(-1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int[] outcomes = new int[2];
            Thread carrier = Thread.ofPlatform().name("carrier").start(() -> {
                EpollRing ring = backend.openRing(0);
                RingDriver driver = new RingDriver(ring);
                try {
                    for (int i = 0; i < ROUNDS; i++) {
                        int client = backend.socket();
                        IoRequest accept = driver.request(Op.ACCEPT, server, null, 0, 0, 0);
                        IoRequest connect = driver.connect(client, address);
                        driver.enqueue(accept, connect);
                        assertEquals(0, driver.complete(connect));
                        int accepted = driver.complete(accept);
                        assertTrue(accepted >= 0, "accept: " + accepted);
                        published.set(accepted);
                        round.set(i); // the closer may close from now on
                        int result = driver.run(driver.request(Op.RECV, accepted, ByteBuffer.allocate(8), 0, 8, 0));
                        assertTrue(result == -Errno.ECANCELED || result == -Errno.EBADF, "recv: " + result);
                        outcomes[result == -Errno.ECANCELED ? 0 : 1]++;
                        while (closedRound.get() < i) {
                            Thread.onSpinWait(); // the closer has closed it: the result says so
                        }
                        assertEquals(0, backend.close(client));
                        ring.flush();
                        ring.await(0); // late duplicates would show here
                        ring.reap(driver, 16);
                        assertEquals(0, ring.inFlight());
                    }
                } catch (Throwable t) {
                    failure.set(t);
                    round.set(Integer.MAX_VALUE);
                } finally {
                    ring.close();
                }
            });
            for (int i = 0; i < ROUNDS && failure.get() == null; i++) {
                while (round.get() < i) {
                    Thread.onSpinWait();
                }
                if (round.get() == Integer.MAX_VALUE) {
                    break;
                }
                int spins = ThreadLocalRandom.current().nextInt(4_000);
                for (int s = 0; s < spins; s++) {
                    Thread.onSpinWait();
                }
                assertEquals(0, backend.close(published.get()));
                closedRound.set(i);
            }
            carrier.join();
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            System.out.printf("[epoll] %d closes racing a RECV: %d cancelled while pending, %d refused at start (EBADF)%n",
                    ROUNDS, outcomes[0], outcomes[1]);
            assertEquals(ROUNDS, outcomes[0] + outcomes[1]);
            assertEquals(0, backend.close(server));
            assertEquals(0, backend.openDescriptors());
        }
    }
}
