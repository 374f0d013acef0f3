package dev.fibril.syscall.uring;

import dev.fibril.syscall.RingDriver;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.LinuxConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoUringSocketTest extends IoUringTestBase {
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeSockets() {
        for (int fd : fds) {
            backend.close(fd);
        }
    }

    private int socket() {
        int fd = backend.socket();
        assertTrue(fd >= 0, "socket: " + fd);
        fds.add(fd);
        return fd;
    }

    /** A listening socket on {@code host}:0; returns {server, client, accepted}. */
    private int[] connectedPair(String host) throws Exception {
        int server = socket();
        assertEquals(0, backend.listen(server, new InetSocketAddress(InetAddress.getByName(host), 0), 16));
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
        assertTrue(accepted >= 0, "accept: " + accepted);
        fds.add(accepted);
        assertEquals(bound, backend.remoteAddress(client));
        assertEquals(backend.localAddress(client), backend.remoteAddress(accepted));
        return new int[]{server, client, accepted};
    }

    @Test
    void shouldListenConnectAcceptSendAndReceiveOnLoopback() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        byte[] hello = "hello over io_uring".getBytes(StandardCharsets.US_ASCII);
        assertEquals(hello.length, driver.run(driver.request(Op.SEND, pair[1], ByteBuffer.wrap(hello), 0, hello.length, 0)));
        ByteBuffer in = ByteBuffer.allocateDirect(64);
        int n = driver.run(driver.request(Op.RECV, pair[2], in, 0, 64, 0));
        assertEquals(hello.length, n);
        byte[] got = new byte[n];
        in.get(0, got);
        assertEquals("hello over io_uring", new String(got, StandardCharsets.US_ASCII));

        // READ and WRITE work on sockets too, with the offset ignored (-1 or 0)
        ByteBuffer reply = ByteBuffer.allocateDirect(8).put(0, (byte) 42);
        assertEquals(1, driver.run(driver.request(Op.WRITE, pair[2], reply, 0, 1, -1)));
        ByteBuffer heapIn = ByteBuffer.allocate(8);
        assertEquals(1, driver.run(driver.request(Op.READ, pair[1], heapIn, 5, 3, 0)));
        assertEquals(42, heapIn.get(5));
    }

    @Test
    void shouldConnectOverIpv6Loopback() throws Exception {
        int[] pair = connectedPair("::1");
        assertEquals(1, driver.run(driver.request(Op.SEND, pair[1], ByteBuffer.allocate(1), 0, 1, 0)));
        assertEquals(1, driver.run(driver.request(Op.RECV, pair[2], ByteBuffer.allocate(1), 0, 1, 0)));
    }

    @Test
    void shouldReadEndOfStreamAfterPeerShutsDownOutput() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        IoRequest shutdown = driver.withOpFlags(driver.request(Op.SHUTDOWN, pair[1], null, 0, 0, 0), IoRequest.SHUT_WR);
        assertEquals(0, driver.run(shutdown));
        assertEquals(0, driver.run(driver.request(Op.RECV, pair[2], ByteBuffer.allocate(16), 0, 16, 0)));
    }

    @Test
    void shouldRefuseConnectionToClosedPort() throws Exception {
        int server = socket();
        assertEquals(0, backend.listen(server, new InetSocketAddress("127.0.0.1", 0), 1));
        InetSocketAddress bound = backend.localAddress(server);
        backend.close(server);
        fds.remove((Integer) server);
        int client = socket();
        assertEquals(-Errno.ECONNREFUSED, driver.run(driver.connect(client, bound)));
        assertEquals(-Errno.EINVAL, driver.run(driver.connect(client, null)));
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
    }

    @Test
    void shouldCancelPendingRecvWhenBackendClosesItsDescriptor() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        IoRequest recv = driver.request(Op.RECV, pair[2], ByteBuffer.allocateDirect(16), 0, 16, 0);
        driver.enqueue(recv);
        assertFalse(driver.isComplete(recv));
        assertEquals(0, backend.close(pair[2]));
        fds.remove((Integer) pair[2]);
        assertEquals(-Errno.ECANCELED, driver.complete(recv));
    }

    @Test
    void shouldReportPollReadinessOnceDataArrives() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        IoRequest poll = driver.withOpFlags(driver.request(Op.POLL_ADD, pair[2], null, 0, 0, 0), IoRequest.POLLIN);
        driver.enqueue(poll);
        assertFalse(driver.isComplete(poll));
        assertEquals(3, driver.run(driver.request(Op.SEND, pair[1], ByteBuffer.allocate(3), 0, 3, 0)));
        assertEquals(IoRequest.POLLIN, driver.complete(poll) & IoRequest.POLLIN);
    }

    @Test
    void shouldCancelAndDrainRequestsInFlightWhenRingCloses() throws Exception {
        int[] pair = connectedPair("127.0.0.1");
        IoUringRing other = backend.openRing(1);
        RingDriver otherDriver = new RingDriver(other);
        IoRequest recv = otherDriver.request(Op.RECV, pair[2], ByteBuffer.allocate(16), 0, 16, 0);
        IoRequest accept = otherDriver.request(Op.ACCEPT, pair[0], null, 0, 0, 0);
        otherDriver.enqueue(recv, accept);
        other.flush();
        assertEquals(2, other.inFlight());
        other.close();
        assertEquals(0, other.inFlight(), "close cancelled and reaped them");
        other.close(); // idempotent

        // The sockets are untouched and still work through the first ring.
        assertEquals(1, driver.run(driver.request(Op.SEND, pair[1], ByteBuffer.allocate(1), 0, 1, 0)));
        assertEquals(1, driver.run(driver.request(Op.RECV, pair[2], ByteBuffer.allocate(1), 0, 1, 0)));
    }
}
