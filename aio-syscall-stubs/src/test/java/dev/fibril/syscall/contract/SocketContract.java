/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;
import dev.fibril.syscall.linux.LinuxConstants;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TCP over loopback through the ring: listen, CONNECT and ACCEPT with the addresses each side sees,
 * SEND and RECV (and READ and WRITE on a socket), half-close, close with requests waiting, and a
 * transfer between two rings on two threads.
 */
public abstract class SocketContract extends BackendFixture {
    protected SocketContract(BackendKind kind) {
        super(kind);
    }

    /** A connection through a listener on {@code host}: {listener, client, accepted}, addresses checked. */
    private int[] connection(String host) throws Exception {
        int server = socket();
        assertNull(backend.localAddress(server), "unbound");
        assertEquals(0, backend.listen(server, new InetSocketAddress(InetAddress.getByName(host), 0), 16));
        InetSocketAddress bound = backend.localAddress(server);
        assertNotNull(bound);
        assertTrue(bound.getPort() > 0);
        assertEquals(InetAddress.getByName(host), bound.getAddress());
        assertNull(backend.remoteAddress(server));

        int client = socket();
        assertNull(backend.remoteAddress(client), "not connected yet");
        IoRequest accept = driver.request(Op.ACCEPT, server, null, 0, 0, 0);
        IoRequest connect = driver.connect(client, bound);
        driver.enqueue(accept, connect);
        assertEquals(0, driver.complete(connect));
        int accepted = track(driver.complete(accept));
        assertEquals(bound, backend.remoteAddress(client));
        assertEquals(bound, backend.localAddress(accepted));
        assertEquals(backend.localAddress(client), backend.remoteAddress(accepted));
        assertEquals(3, openedSinceStart());
        return new int[] {server, client, accepted};
    }

    @Test
    void shouldListenConnectAcceptSendAndReceiveOnLoopback() throws Exception {
        int[] c = connection("127.0.0.1");
        assertNotEquals(backend.localAddress(c[0]).getPort(), backend.localAddress(listener("127.0.0.1", 1)).getPort());
        assertEquals(19, send(c[1], "hello over the ring"));
        ByteBuffer in = ByteBuffer.allocateDirect(64);
        IoRequest recv = driver.request(Op.RECV, c[2], in, 0, 64, 0);
        assertEquals(19, driver.run(recv));
        assertEquals("hello over the ring", text(recv, 19));

        // READ and WRITE work on sockets too, with the offset ignored
        ByteBuffer reply = ByteBuffer.allocateDirect(8).put(0, (byte) 42);
        assertEquals(1, driver.run(write(c[2], reply, 0, 1, -1)));
        ByteBuffer heapIn = ByteBuffer.allocate(8);
        assertEquals(1, driver.run(read(c[1], heapIn, 5, 3, 0)));
        assertEquals(42, heapIn.get(5));
        if (kind.has(Capability.SOCKET_SIZE_ZERO)) {
            assertEquals(0, backend.size(c[1]), "fstat size of a socket");
        }
    }

    @Test
    void shouldConnectOverIpv6Loopback() throws Exception {
        require(Capability.HOST_RESOURCES);
        boolean ipv6;
        try (var probe = java.nio.channels.ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress("::1", 0));
            ipv6 = true;
        } catch (Exception e) {
            ipv6 = false;
        }
        assumeTrue(ipv6, "no IPv6 loopback here");
        int[] c = connection("::1");
        assertEquals(1, send(c[1], "x"));
        assertEquals(1, driver.run(recv(c[2], 1)));
    }

    @Test
    void shouldWaitInAcceptUntilAConnectionArrives() {
        int server = listener("127.0.0.1", 4);
        IoRequest accept = driver.submit(driver.request(Op.ACCEPT, server, null, 0, 0, 0));
        assertFalse(driver.isComplete(accept), "nobody connects yet");
        int client = socket();
        assertEquals(0, driver.run(driver.connect(client, backend.localAddress(server))));
        int accepted = track(driver.complete(accept));
        assertEquals(backend.localAddress(client), backend.remoteAddress(accepted));
    }

    @Test
    void shouldCompleteAWaitingRecvWhenThePeerSendsAndKeepRecvsOnOneDescriptorInOrder() {
        int[] pair = connectedPair();
        ByteBuffer in = ByteBuffer.allocate(2);
        IoRequest first = driver.request(Op.RECV, pair[1], in, 0, 1, 0);
        IoRequest second = driver.request(Op.RECV, pair[1], in, 1, 1, 0);
        driver.enqueue(first, second);
        assertFalse(driver.isComplete(first), "nothing sent yet");
        assertEquals(2, send(pair[0], "ab"));
        assertEquals(1, driver.complete(first));
        assertEquals(1, driver.complete(second));
        assertEquals("ab", kind.has(Capability.FIFO_PER_DESCRIPTOR) ? text(first, 2)
                : (in.get(0) == 'a' ? "ab" : "" + (char) in.get(1) + (char) in.get(0)), "each byte to one RECV");
    }

    @Test
    void shouldReadEndOfStreamAfterThePeerShutsDownOutputAndKeepTheOtherDirection() {
        int[] pair = connectedPair();
        assertEquals(4, send(pair[0], "last"));
        IoRequest waiting = recv(pair[1], 16);
        assertEquals(4, driver.run(waiting), "what was sent before the shutdown comes first");
        waiting = driver.submit(recv(pair[1], 16));
        assertFalse(driver.isComplete(waiting), "parked: nothing more sent yet");
        assertEquals(0, driver.run(shutdown(pair[0], IoRequest.SHUT_WR)));
        assertEquals(0, driver.complete(waiting), "EOF");
        assertEquals(0, driver.run(recv(pair[1], 16)), "EOF again");
        assertEquals(-Errno.EPIPE, send(pair[0], "no"), "sending on the shut side");
        assertEquals(5, send(pair[1], "reply"), "half-close: the other direction still works");
        assertEquals(5, driver.run(recv(pair[0], 16)));
    }

    @Test
    void shouldFailAFixedFileShutdownWithEinvalAndLeaveTheSocketAsItWas() {
        int[] pair = connectedPair();
        IoRequest r = shutdown(pair[0], IoRequest.SHUT_WR);
        r.flags(IoRequest.FLAG_FIXED_FILE); // no ring takes an index for a SHUTDOWN's socket
        assertEquals(-Errno.EINVAL, driver.run(r));
        assertEquals(2, send(pair[0], "ok"), "the output was not shut");
        assertEquals(2, driver.run(recv(pair[1], 16)));
    }

    @Test
    void shouldRefuseAConnectionToAClosedPortAndConnectTheSameSocketAgainLater() {
        int gone = listener("127.0.0.1", 1);
        InetSocketAddress bound = backend.localAddress(gone);
        closeNow(gone);
        int client = socket();
        assertEquals(-Errno.ECONNREFUSED, driver.run(driver.connect(client, bound)));
        assertNull(backend.remoteAddress(client));
        assertEquals(-Errno.EINVAL, driver.run(driver.connect(client, null)));

        // as on Linux, the socket can connect again after ECONNREFUSED
        int live = listener("127.0.0.1", 4);
        IoRequest accept = driver.submit(driver.request(Op.ACCEPT, live, null, 0, 0, 0));
        assertEquals(0, driver.run(driver.connect(client, backend.localAddress(live))));
        track(driver.complete(accept));
        assertEquals(-Errno.EISCONN, driver.run(driver.connect(client, backend.localAddress(live))));
    }

    @Test
    void shouldCancelAWaitingRecvWhenItsDescriptorClosesAndFailLaterCallsWithEbadf() {
        int[] pair = connectedPair();
        IoRequest recv = driver.submit(driver.request(Op.RECV, pair[1], ByteBuffer.allocateDirect(16), 0, 16, 0));
        assertFalse(driver.isComplete(recv));
        closeNow(pair[1]);
        assertEquals(-Errno.ECANCELED, driver.complete(recv));
        assertEquals(-Errno.EBADF, driver.run(recv(pair[1], 16)));
        assertEquals(-Errno.EBADF, send(pair[1], "x"));
    }

    @Test
    void shouldCancelAWaitingAcceptWhenTheListenerCloses() {
        int server = listener("127.0.0.1", 4);
        IoRequest accept = driver.submit(driver.request(Op.ACCEPT, server, null, 0, 0, 0));
        assertFalse(driver.isComplete(accept));
        closeNow(server);
        assertEquals(-Errno.ECANCELED, driver.complete(accept));
    }

    @Test
    void shouldDeliverEndOfStreamToThePeerOfAClosedSocket() {
        int[] pair = connectedPair();
        assertEquals(3, send(pair[0], "bye"));
        closeNow(pair[0]);
        IoRequest rest = recv(pair[1], 8);
        assertEquals(3, driver.run(rest));
        assertEquals("bye", text(rest, 3));
        assertEquals(0, driver.run(recv(pair[1], 8)));
    }

    @Test
    void shouldCancelAWaitingRecvOnceWhenAnotherThreadClosesTheDescriptorOfAnotherRing() throws Exception {
        int[] pair = connectedPair();
        CompletionRing other = backend.openRing(1);
        AtomicReference<java.util.function.BooleanSupplier> waiting = new AtomicReference<>();
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger result = new AtomicInteger(Integer.MIN_VALUE);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread carrier = Thread.ofPlatform().name("carrier-1").start(() -> {
            try {
                RingDriver otherDriver = new RingDriver(other);
                IoRequest recv = otherDriver.submit(otherDriver.request(Op.RECV, pair[1], ByteBuffer.allocate(16), 0, 16, 0));
                waiting.set(kind.waitProbe(Thread.currentThread()));
                result.set(otherDriver.complete(recv));
                // keep polling a while: a second completion would fail the driver
                for (int i = 0; i < 5; i++) {
                    other.await(TimeUnit.MILLISECONDS.toNanos(10));
                    other.reap(otherDriver, 64);
                }
                assertFalse(otherDriver.hasUnclaimedResults());
                assertEquals(0, other.inFlight());
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                other.close();
                done.set(true);
            }
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> waiting.get() != null && waiting.get().getAsBoolean());
        closeNow(pair[1]); // on this thread, while the carrier sits in its wait
        await().atMost(10, TimeUnit.SECONDS).untilTrue(done);
        carrier.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(-Errno.ECANCELED, result.get());
    }

    @Test
    void shouldTransferEightMebibytesBetweenTwoRingsOnTwoThreads() throws Exception {
        int[] pair = connectedPair();
        int total = 8 << 20;
        byte[] data = new byte[total];
        new Random(42).nextBytes(data);
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
        CompletionRing senderRing = backend.openRing(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean sent = new AtomicBoolean();
        Thread sender = Thread.ofPlatform().name("sender").start(() -> {
            try {
                RingDriver d = new RingDriver(senderRing);
                ByteBuffer out = ByteBuffer.allocateDirect(256 << 10);
                for (int offset = 0; offset < total; ) {
                    int chunk = Math.min(out.capacity(), total - offset);
                    out.put(0, data, offset, chunk);
                    for (int done = 0; done < chunk; ) {
                        int n = d.run(d.request(Op.SEND, pair[0], out, done, chunk - done, 0));
                        assertTrue(n > 0, "send: " + n);
                        done += n;
                    }
                    offset += chunk;
                }
                assertEquals(0, d.run(d.withOpFlags(d.request(Op.SHUTDOWN, pair[0], null, 0, 0, 0), IoRequest.SHUT_WR)));
                sent.set(true);
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                senderRing.close();
            }
        });
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        ByteBuffer in = ByteBuffer.allocate(64 << 10); // heap on this side
        long received = 0;
        while (true) {
            int n = driver.run(driver.request(Op.RECV, pair[1], in, 0, in.capacity(), 0));
            assertTrue(n >= 0, "recv: " + n);
            if (n == 0) {
                break;
            }
            digest.update(in.array(), 0, n);
            received += n;
        }
        sender.join(TimeUnit.SECONDS.toMillis(30));
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(sent.get());
        assertEquals(total, received);
        assertTrue(MessageDigest.isEqual(expected, digest.digest()), "SHA-256 differs");
    }

    @Test
    void shouldCancelAndDrainRequestsInFlightWhenARingClosesAndLeaveTheirSocketsWorking() {
        int server = listener("127.0.0.1", 4);
        int[] pair = connectedPair();
        CompletionRing other = backend.openRing(1);
        RingDriver otherDriver = new RingDriver(other);
        otherDriver.enqueue(otherDriver.request(Op.RECV, pair[1], ByteBuffer.allocate(16), 0, 16, 0),
                otherDriver.request(Op.ACCEPT, server, null, 0, 0, 0));
        other.flush();
        assertEquals(2, other.inFlight());
        other.close();
        assertEquals(0, other.inFlight(), "close cancelled and reaped them");
        other.close(); // idempotent
        other.wakeup(); // harmless after close
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> other.enqueue(otherDriver.request(Op.NOP, -1, null, 0, 0, 0)));

        // The closed ring's RECV no longer waits on the socket: the data goes to this ring's.
        assertEquals(1, send(pair[0], "z"));
        IoRequest recv = recv(pair[1], 1);
        assertEquals(1, driver.run(recv));
        assertEquals("z", text(recv, 1));
    }

    private IoRequest shutdown(int fd, int how) {
        return driver.withOpFlags(driver.request(Op.SHUTDOWN, fd, null, 0, 0, 0), how);
    }
}
