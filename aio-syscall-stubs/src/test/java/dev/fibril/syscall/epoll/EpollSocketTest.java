package dev.fibril.syscall.epoll;

import dev.fibril.syscall.RingDriver;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class EpollSocketTest extends EpollTestBase {
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeSockets() {
        for (int fd : fds) {
            backend.close(fd);
        }
        assertEquals(0, backend.openDescriptors(), "descriptors left open");
    }

    private int socket() {
        int fd = backend.socket();
        assertTrue(fd >= FdTable.FIRST_FD, "socket: " + fd);
        fds.add(fd);
        return fd;
    }

    private void closed(int fd) {
        assertEquals(0, backend.close(fd));
        fds.remove((Integer) fd);
    }

    private int listener(String host) throws Exception {
        int server = socket();
        assertNull(backend.localAddress(server), "unbound");
        assertEquals(0, backend.listen(server, new InetSocketAddress(InetAddress.getByName(host), 0), 16));
        return server;
    }

    /** A listening socket on {@code host}:0; returns {server, client, accepted}. */
    private int[] connectedPair(String host) throws Exception {
        int server = listener(host);
        InetSocketAddress bound = backend.localAddress(server);
        assertNotNull(bound);
        assertTrue(bound.getPort() > 0);
        assertEquals(InetAddress.getByName(host), bound.getAddress());

        int client = socket();
        assertNull(backend.remoteAddress(client), "not connected yet");
        IoRequest accept = driver.request(Op.ACCEPT, server, null, 0, 0, 0);
        IoRequest connect = driver.connect(client, bound);
        driver.enqueue(accept, connect);
        assertEquals(0, driver.complete(connect));
        int accepted = driver.complete(accept);
        assertTrue(accepted >= FdTable.FIRST_FD, "accept: " + accepted);
        fds.add(accepted);
        assertEquals(bound, backend.remoteAddress(client));
        assertEquals(backend.localAddress(client), backend.remoteAddress(accepted));
        return new int[]{server, client, accepted};
    }

    private int send(RingDriver d, int fd, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return d.run(d.request(Op.SEND, fd, ByteBuffer.wrap(bytes), 0, bytes.length, 0));
    }

    @Test
    void shouldListenConnectAcceptSendAndReceiveOnLoopback() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        assertEquals(19, send(driver, pair[1], "hello over epoll..."));
        ByteBuffer in = ByteBuffer.allocateDirect(64);
        int n = driver.run(driver.request(Op.RECV, pair[2], in, 0, 64, 0));
        assertEquals(19, n);
        byte[] got = new byte[n];
        in.get(0, got);
        assertEquals("hello over epoll...", new String(got, StandardCharsets.US_ASCII));

        // READ and WRITE work on sockets too, with the offset ignored
        ByteBuffer reply = ByteBuffer.allocateDirect(8).put(0, (byte) 42);
        assertEquals(1, driver.run(driver.request(Op.WRITE, pair[2], reply, 0, 1, -1)));
        ByteBuffer heapIn = ByteBuffer.allocate(8);
        assertEquals(1, driver.run(driver.request(Op.READ, pair[1], heapIn, 5, 3, 0)));
        assertEquals(42, heapIn.get(5));
        assertEquals(0, backend.size(pair[1]), "fstat size of a socket");
    }

    @Test
    void shouldConnectOverIpv6Loopback() throws Exception {
        boolean ipv6;
        try (var probe = java.nio.channels.ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress("::1", 0));
            ipv6 = true;
        } catch (Exception e) {
            ipv6 = false;
        }
        assumeTrue(ipv6, "no IPv6 loopback here");
        int[] pair = connectedPair("::1");
        assertEquals(1, send(driver, pair[1], "x"));
        assertEquals(1, driver.run(driver.request(Op.RECV, pair[2], ByteBuffer.allocate(1), 0, 1, 0)));
    }

    @Test
    void shouldReadEndOfStreamAfterPeerShutsDownOutput() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        IoRequest recv = driver.request(Op.RECV, pair[2], ByteBuffer.allocate(16), 0, 16, 0);
        driver.enqueue(recv);
        assertFalse(driver.isComplete(recv), "parked: nothing sent yet");
        IoRequest shutdown = driver.withOpFlags(driver.request(Op.SHUTDOWN, pair[1], null, 0, 0, 0), 1);
        assertEquals(0, driver.run(shutdown));
        assertEquals(0, driver.complete(recv), "EOF");
        assertEquals(0, driver.run(driver.request(Op.RECV, pair[2], ByteBuffer.allocate(16), 0, 16, 0)), "EOF again");
        // the other direction still works, and sending on the shut side is EPIPE
        assertEquals(2, send(driver, pair[2], "ok"));
        assertEquals(2, driver.run(driver.request(Op.RECV, pair[1], ByteBuffer.allocate(16), 0, 16, 0)));
        assertEquals(-Errno.EPIPE, send(driver, pair[1], "no"));
        assertEquals(-Errno.EINVAL, driver.run(driver.withOpFlags(driver.request(Op.SHUTDOWN, pair[1], null, 0, 0, 0), 3)));
    }

    @Test
    void shouldRefuseConnectionToClosedPortAndKeepDescriptorUsable() throws Exception {
        int server = listener("127.0.0.1");
        InetSocketAddress bound = backend.localAddress(server);
        closed(server);
        int client = socket();
        assertEquals(-Errno.ECONNREFUSED, driver.run(driver.connect(client, bound)));
        assertEquals(-Errno.EINVAL, driver.run(driver.connect(client, null)));

        // as on Linux, the socket can connect again after ECONNREFUSED
        int live = listener("127.0.0.1");
        IoRequest accept = driver.request(Op.ACCEPT, live, null, 0, 0, 0);
        driver.enqueue(accept);
        assertEquals(0, driver.run(driver.connect(client, backend.localAddress(live))));
        int accepted = driver.complete(accept);
        assertTrue(accepted >= 0);
        fds.add(accepted);
        assertEquals(-Errno.EISCONN, driver.run(driver.connect(client, backend.localAddress(live))));
    }

    @Test
    void shouldFailSocketCallsInTheWrongStateLikeLinux() throws Exception {
        int unconnected = socket();
        assertEquals(-Errno.ENOTCONN, driver.run(driver.request(Op.RECV, unconnected, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(-Errno.ENOTCONN, driver.run(driver.request(Op.SEND, unconnected, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(-Errno.ENOTCONN, driver.run(driver.request(Op.SHUTDOWN, unconnected, null, 0, 0, 0)));
        assertEquals(-Errno.EINVAL, driver.run(driver.request(Op.ACCEPT, unconnected, null, 0, 0, 0)), "not listening");
        assertEquals(-Errno.EINVAL, driver.run(driver.request(Op.FSYNC, unconnected, null, 0, 0, 0)));
        IoRequest poll = driver.withOpFlags(driver.request(Op.POLL_ADD, unconnected, null, 0, 0, 0), IoRequest.POLLIN | IoRequest.POLLOUT);
        assertEquals(IoRequest.POLLOUT | IoRequest.POLLHUP, driver.run(poll), "poll(2) on a fresh socket");

        int[] pair = connectedPair("127.0.0.1");
        assertEquals(-Errno.EINVAL, backend.listen(pair[0], new InetSocketAddress("127.0.0.1", 0), 1), "listening already");
        assertEquals(-Errno.EINVAL, backend.listen(pair[1], new InetSocketAddress("127.0.0.1", 0), 1), "connected");
        assertEquals(-Errno.ENOTCONN, driver.run(driver.request(Op.RECV, pair[0], ByteBuffer.allocate(4), 0, 4, 0)));
        int taken = socket();
        assertEquals(-Errno.EADDRINUSE, backend.listen(taken, backend.localAddress(pair[0]), 1));
    }

    @Test
    void shouldCompleteRecvWithWaitingDataInSameFlushWithoutSelect() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        assertEquals(4, send(driver, pair[1], "fast"));
        long selects = ring.selects();
        long fast = ring.fastPathCompletions();
        long parked = ring.parkedRequests();
        long calls = ring.kernelCalls();
        long systemCalls = ring.systemCalls();
        ByteBuffer in = ByteBuffer.allocate(8);
        IoRequest recv = driver.request(Op.RECV, pair[2], in, 0, 8, 0);
        driver.enqueue(recv);
        ring.flush();
        int[] result = {Integer.MIN_VALUE};
        assertEquals(1, ring.reap((request, res) -> result[0] = res, 8), "completed during the flush");
        assertEquals(4, result[0]);
        System.out.printf("[epoll] fast-path RECV: %d kernel call(s), %d system call(s), %d select(s), %d parked%n",
                ring.kernelCalls() - calls, ring.systemCalls() - systemCalls, ring.selects() - selects,
                ring.parkedRequests() - parked);
        assertEquals(systemCalls + 1, ring.systemCalls(), "one recv(2)");
        assertEquals(selects, ring.selects(), "no select");
        assertEquals(parked, ring.parkedRequests(), "never parked");
        assertEquals(fast + 1, ring.fastPathCompletions());
        assertEquals(calls + 1, ring.kernelCalls(), "the flush's one call");
    }

    @Test
    void shouldKeepRequestsOnOneDescriptorInFifoOrder() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        ByteBuffer in = ByteBuffer.allocate(2);
        IoRequest first = driver.request(Op.RECV, pair[2], in, 0, 1, 0);
        IoRequest second = driver.request(Op.RECV, pair[2], in, 1, 1, 0);
        driver.enqueue(first, second);
        assertFalse(driver.isComplete(first));
        assertEquals(2, send(driver, pair[1], "ab"));
        assertEquals(1, driver.complete(first));
        assertEquals(1, driver.complete(second));
        assertEquals('a', in.get(0));
        assertEquals('b', in.get(1));
    }

    @Test
    void shouldCancelPendingRecvWithEcanceled() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        IoRequest recv = driver.request(Op.RECV, pair[2], ByteBuffer.allocate(16), 0, 16, 0);
        driver.enqueue(recv);
        assertFalse(driver.isComplete(recv), "nothing was sent");
        IoRequest cancel = driver.cancelOf(recv);
        assertEquals(0, driver.run(cancel));
        assertEquals(-Errno.ECANCELED, driver.complete(recv));
        assertEquals(-Errno.ENOENT, driver.run(driver.cancelOf(recv)), "only once");
        // the descriptor still works: a later RECV gets later data
        assertEquals(3, send(driver, pair[1], "abc"));
        assertEquals(3, driver.run(driver.request(Op.RECV, pair[2], ByteBuffer.allocate(16), 0, 16, 0)));
    }

    @Test
    void shouldCancelPendingRecvWhenBackendClosesItsDescriptor() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        IoRequest recv = driver.request(Op.RECV, pair[2], ByteBuffer.allocateDirect(16), 0, 16, 0);
        driver.enqueue(recv);
        assertFalse(driver.isComplete(recv));
        closed(pair[2]);
        assertEquals(-Errno.ECANCELED, driver.complete(recv));
        assertEquals(-Errno.EBADF, driver.run(driver.request(Op.RECV, pair[2], ByteBuffer.allocate(16), 0, 16, 0)));
    }

    @Test
    void shouldCancelPendingRecvOnceWhenAnotherThreadClosesDescriptorOfOtherRing() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        EpollRing other = backend.openRing(1);
        AtomicBoolean parked = new AtomicBoolean();
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger result = new AtomicInteger(Integer.MIN_VALUE);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread carrier = Thread.ofPlatform().name("carrier-1").start(() -> {
            try {
                RingDriver otherDriver = new RingDriver(other);
                IoRequest recv = otherDriver.request(Op.RECV, pair[2], ByteBuffer.allocate(16), 0, 16, 0);
                otherDriver.enqueue(recv);
                other.flush();
                parked.set(other.parkedRequests() == 1);
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
        await().atMost(10, TimeUnit.SECONDS).until(() -> parked.get() && EpollRingTest.inEpollWait(carrier));
        closed(pair[2]); // on this thread, while the carrier sits in its select
        await().atMost(10, TimeUnit.SECONDS).untilTrue(done);
        carrier.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(-Errno.ECANCELED, result.get());
    }

    @Test
    void shouldReportPollReadinessOnceDataArrives() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        IoRequest poll = driver.withOpFlags(driver.request(Op.POLL_ADD, pair[2], null, 0, 0, 0), IoRequest.POLLIN);
        driver.enqueue(poll);
        assertFalse(driver.isComplete(poll));
        driver.pollOnce();
        assertFalse(driver.isComplete(poll), "nothing to read yet");
        assertEquals(3, send(driver, pair[1], "abc"));
        assertEquals(IoRequest.POLLIN, driver.complete(poll));
        IoRequest writable = driver.withOpFlags(driver.request(Op.POLL_ADD, pair[2], null, 0, 0, 0), IoRequest.POLLOUT);
        assertEquals(IoRequest.POLLOUT, driver.run(writable));
        assertEquals(-Errno.EINVAL, driver.run(driver.request(Op.POLL_ADD, pair[2], null, 0, 0, 0)), "no events");
    }

    @Test
    void shouldTransferEightMebibytesBetweenTwoRingsOnTwoThreads() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        int total = 8 << 20;
        byte[] data = new byte[total];
        new java.util.Random(42).nextBytes(data);
        byte[] expected = java.security.MessageDigest.getInstance("SHA-256").digest(data);
        EpollRing senderRing = backend.openRing(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean sent = new AtomicBoolean();
        Thread sender = Thread.ofPlatform().name("sender").start(() -> {
            try {
                RingDriver d = new RingDriver(senderRing);
                ByteBuffer out = ByteBuffer.allocateDirect(256 << 10);
                int offset = 0;
                while (offset < total) {
                    int chunk = Math.min(out.capacity(), total - offset);
                    out.put(0, data, offset, chunk);
                    int done = 0;
                    while (done < chunk) {
                        int n = d.run(d.request(Op.SEND, pair[1], out, done, chunk - done, 0));
                        assertTrue(n > 0, "send: " + n);
                        done += n;
                    }
                    offset += chunk;
                }
                assertEquals(0, d.run(d.withOpFlags(d.request(Op.SHUTDOWN, pair[1], null, 0, 0, 0), 1)));
                sent.set(true);
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                senderRing.close();
            }
        });
        java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
        ByteBuffer in = ByteBuffer.allocate(64 << 10); // heap on this side
        long received = 0;
        while (true) {
            int n = driver.run(driver.request(Op.RECV, pair[2], in, 0, in.capacity(), 0));
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
        assertTrue(java.security.MessageDigest.isEqual(expected, digest.digest()), "SHA-256 differs");
        System.out.printf("[epoll] 8 MiB in 64 KiB RECVs: receiver %d fast-path, %d parked, %d selects, %d kernel calls,"
                        + " %d system calls%n", ring.fastPathCompletions(), ring.parkedRequests(), ring.selects(),
                ring.kernelCalls(), ring.systemCalls());
    }
}
