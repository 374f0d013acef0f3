package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static dev.fibril.syscall.sim.RingDriver.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedSocketTest {
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    private final SimulatedKernel kernel = SimulatedKernel.builder().socketBufferBytes(1024).build();
    private final RingDriver driver = new RingDriver(kernel, 0);

    @AfterEach
    void closeEverything() {
        driver.ring.close();
        kernel.close();
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(ByteBuffer buffer, int length) {
        byte[] out = new byte[length];
        buffer.get(0, out);
        return new String(out, StandardCharsets.US_ASCII);
    }

    private int listener(int backlog) {
        int fd = kernel.socket();
        assertEquals(0, kernel.listen(fd, ANY_PORT, backlog));
        return fd;
    }

    @Test
    void shouldListenOnEphemeralPortWhenAskedForPortZero() {
        int first = listener(4);
        int second = listener(4);
        InetSocketAddress a = kernel.localAddress(first);
        InetSocketAddress b = kernel.localAddress(second);
        assertEquals("127.0.0.1", a.getAddress().getHostAddress());
        assertTrue(a.getPort() >= 40_000, "ephemeral port " + a.getPort());
        assertTrue(b.getPort() != a.getPort());
        assertNull(kernel.remoteAddress(first));
    }

    @Test
    void shouldFailListenOnTakenPortWithEaddrinuse() {
        int first = listener(4);
        InetSocketAddress taken = kernel.localAddress(first);
        int second = kernel.socket();
        assertEquals(-Errno.EADDRINUSE, kernel.listen(second, taken, 4));
        assertEquals(0, kernel.close(first));
        assertEquals(0, kernel.listen(second, taken, 4));
        assertEquals(taken, kernel.localAddress(second));
    }

    @Test
    void shouldFailListenOnNonSocketOrNonLocalAddress() {
        int file = kernel.open("/f", Backend.O_RDWR | Backend.O_CREAT, 0);
        assertEquals(-Errno.ENOTSOCK, kernel.listen(file, ANY_PORT, 4));
        assertEquals(-Errno.EBADF, kernel.listen(999, ANY_PORT, 4));
        int socket = kernel.socket();
        assertEquals(-Errno.EADDRNOTAVAIL, kernel.listen(socket, new InetSocketAddress("10.1.2.3", 0), 4));
    }

    @Test
    void shouldConnectAndAcceptWithMatchingAddresses() {
        int listener = listener(4);
        int client = kernel.socket();
        assertEquals(0, driver.connect(client, kernel.localAddress(listener)));
        int server = driver.result(driver.accept(listener));
        assertTrue(server >= 0);

        assertEquals(kernel.localAddress(listener), kernel.remoteAddress(client));
        assertEquals(kernel.localAddress(listener), kernel.localAddress(server));
        assertEquals(kernel.localAddress(client), kernel.remoteAddress(server));
        assertEquals(3, kernel.openDescriptors());
    }

    @Test
    void shouldWaitInAcceptUntilAConnectionArrives() {
        int listener = listener(4);
        long accept = driver.accept(listener);
        driver.reap();
        assertFalse(driver.hasResult(accept));

        int client = kernel.socket();
        assertEquals(0, driver.connect(client, kernel.localAddress(listener)));
        int server = driver.result(accept);
        assertTrue(server >= 0);
        assertEquals(kernel.localAddress(client), kernel.remoteAddress(server));
    }

    @Test
    void shouldRefuseConnectWhenNobodyListens() {
        int client = kernel.socket();
        assertEquals(-Errno.ECONNREFUSED, driver.connect(client, new InetSocketAddress("127.0.0.1", 5)));
        assertNull(kernel.remoteAddress(client));
    }

    @Test
    void shouldRefuseConnectWhenBacklogIsFull() {
        int listener = listener(2);
        InetSocketAddress address = kernel.localAddress(listener);
        assertEquals(0, driver.connect(kernel.socket(), address));
        assertEquals(0, driver.connect(kernel.socket(), address));
        assertEquals(-Errno.ECONNREFUSED, driver.connect(kernel.socket(), address));

        assertTrue(driver.result(driver.accept(listener)) >= 0);
        assertEquals(0, driver.connect(kernel.socket(), address));
    }

    @Test
    void shouldFailConnectOfConnectedSocketWithEisconn() {
        int[] pair = driver.connectedPair();
        assertEquals(-Errno.EISCONN, driver.connect(pair[0], new InetSocketAddress("127.0.0.1", 1)));
    }

    @Test
    void shouldDeliverSentBytesToPeerRecv() {
        int[] pair = driver.connectedPair();
        assertEquals(5, driver.result(driver.send(pair[0], bytes("hello"))));
        ByteBuffer dst = ByteBuffer.allocate(16);
        assertEquals(5, driver.result(driver.recv(pair[1], dst)));
        assertEquals("hello", text(dst, 5));
    }

    @Test
    void shouldCompleteWaitingRecvWhenPeerSends() {
        int[] pair = driver.connectedPair();
        ByteBuffer dst = ByteBuffer.allocate(16);
        long recv = driver.recv(pair[1], dst);
        driver.reap();
        assertFalse(driver.hasResult(recv));

        driver.send(pair[0], bytes("ping"));
        assertEquals(4, driver.result(recv));
        assertEquals("ping", text(dst, 4));
    }

    @Test
    void shouldSendPartiallyWhenPeerBufferIsNearlyFullAndWaitWhenFull() {
        int[] pair = driver.connectedPair();
        assertEquals(1000, driver.result(driver.send(pair[0], ByteBuffer.allocate(1000))));
        assertEquals(24, driver.result(driver.send(pair[0], ByteBuffer.allocate(100))));

        long blocked = driver.send(pair[0], ByteBuffer.allocate(10));
        driver.reap();
        assertFalse(driver.hasResult(blocked));

        assertEquals(512, driver.result(driver.recv(pair[1], ByteBuffer.allocate(512))));
        assertEquals(10, driver.result(blocked));
    }

    @Test
    void shouldDeliverEndOfStreamAfterPeerShutsDownOutput() {
        int[] pair = driver.connectedPair();
        driver.result(driver.send(pair[0], bytes("last")));
        assertEquals(0, driver.shutdown(pair[0], 1));

        ByteBuffer dst = ByteBuffer.allocate(16);
        assertEquals(4, driver.result(driver.recv(pair[1], dst)));
        assertEquals(0, driver.result(driver.recv(pair[1], dst)));
        assertEquals(-Errno.EPIPE, driver.result(driver.send(pair[0], bytes("more"))));

        // Half-close: the other direction still works.
        assertEquals(5, driver.result(driver.send(pair[1], bytes("reply"))));
        assertEquals(5, driver.result(driver.recv(pair[0], dst)));
    }

    @Test
    void shouldCompleteWaitingRecvWithEndOfStreamWhenPeerShutsDownOutput() {
        int[] pair = driver.connectedPair();
        long recv = driver.recv(pair[1], ByteBuffer.allocate(8));
        assertEquals(0, driver.shutdown(pair[0], 1));
        assertEquals(0, driver.result(recv));
    }

    @Test
    void shouldReturnZeroFromRecvAndFailPeerSendAfterShutdownInput() {
        int[] pair = driver.connectedPair();
        long recv = driver.recv(pair[1], ByteBuffer.allocate(8));
        assertEquals(0, driver.shutdown(pair[1], 0));
        assertEquals(0, driver.result(recv));
        assertEquals(-Errno.EPIPE, driver.result(driver.send(pair[0], bytes("x"))));
    }

    @Test
    void shouldFailShutdownWithUnknownHowOrOnUnconnectedSocket() {
        int[] pair = driver.connectedPair();
        assertEquals(-Errno.EINVAL, driver.shutdown(pair[0], 7));
        assertEquals(-Errno.ENOTCONN, driver.shutdown(kernel.socket(), 1));
    }

    @Test
    void shouldCompletePendingRecvWithEcanceledWhenItsSocketCloses() {
        int[] pair = driver.connectedPair();
        long recv = driver.recv(pair[1], ByteBuffer.allocate(8));
        assertEquals(0, kernel.close(pair[1]));
        assertEquals(-Errno.ECANCELED, driver.result(recv));
        assertEquals(0, driver.ring.inFlight());
    }

    @Test
    void shouldDeliverEndOfStreamAndEpipeToPeerOnClose() {
        int[] pair = driver.connectedPair();
        driver.result(driver.send(pair[0], bytes("bye")));
        // Fill the server's outgoing direction so a send waits, then close the client.
        driver.result(driver.send(pair[1], ByteBuffer.allocate(1024)));
        long waitingSend = driver.send(pair[1], ByteBuffer.allocate(10));
        assertEquals(0, kernel.close(pair[0]));

        assertEquals(-Errno.EPIPE, driver.result(waitingSend));
        ByteBuffer dst = ByteBuffer.allocate(8);
        assertEquals(3, driver.result(driver.recv(pair[1], dst)));
        assertEquals(0, driver.result(driver.recv(pair[1], dst)));
        assertEquals(-Errno.EPIPE, driver.result(driver.send(pair[1], bytes("x"))));
    }

    @Test
    void shouldCancelPendingAcceptWhenListenerCloses() {
        int listener = listener(4);
        long accept = driver.accept(listener);
        assertEquals(0, kernel.close(listener));
        assertEquals(-Errno.ECANCELED, driver.result(accept));
    }

    @Test
    void shouldResetQueuedConnectionsWhenListenerCloses() {
        int listener = listener(4);
        int client = kernel.socket();
        assertEquals(0, driver.connect(client, kernel.localAddress(listener)));
        long recv = driver.recv(client, ByteBuffer.allocate(8));
        assertEquals(0, kernel.close(listener));

        assertEquals(-Errno.ECONNRESET, driver.result(recv));
        assertEquals(-Errno.ECONNRESET, driver.result(driver.send(client, bytes("x"))));
        assertEquals(1, kernel.openDescriptors());
    }

    @Test
    void shouldFailOpsOnClosedSocketWithEbadf() {
        int[] pair = driver.connectedPair();
        kernel.close(pair[0]);
        assertEquals(-Errno.EBADF, driver.result(driver.send(pair[0], bytes("x"))));
        assertEquals(-Errno.EBADF, driver.result(driver.recv(pair[0], ByteBuffer.allocate(1))));
    }

    @Test
    void shouldFailSocketOpsOnFileWithEnotsockAndRecvOnUnconnectedSocketWithEnotconn() {
        int file = kernel.open("/f", Backend.O_RDWR | Backend.O_CREAT, 0);
        assertEquals(-Errno.ENOTSOCK, driver.result(driver.recv(file, ByteBuffer.allocate(1))));
        assertEquals(-Errno.ENOTSOCK, driver.result(driver.accept(file)));
        assertEquals(-Errno.ENOTCONN, driver.result(driver.recv(kernel.socket(), ByteBuffer.allocate(1))));
        assertEquals(-Errno.EINVAL, driver.result(driver.accept(kernel.socket())));
    }

    @Test
    void shouldTreatReadAndWriteOnSocketAsRecvAndSend() {
        int[] pair = driver.connectedPair();
        ByteBuffer src = bytes("via write");
        assertEquals(9, driver.call(request(Op.WRITE, pair[0], src, 0, 9, 0)));
        ByteBuffer dst = ByteBuffer.allocate(9);
        assertEquals(9, driver.call(request(Op.READ, pair[1], dst, 0, 9, 0)));
        assertEquals("via write", text(dst, 9));
    }

    @Test
    void shouldCountAcceptedSocketsAsOpenDescriptorsUntilClosed() {
        int[] pair = driver.connectedPair();
        assertEquals(2, kernel.openDescriptors());
        kernel.close(pair[0]);
        kernel.close(pair[1]);
        assertEquals(0, kernel.openDescriptors());
    }
}
