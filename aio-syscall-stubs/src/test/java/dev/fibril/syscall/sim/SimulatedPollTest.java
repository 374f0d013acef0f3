package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import static dev.fibril.syscall.sim.RingDriver.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POLL_ADD on the simulated kernel: a one-shot wait for POLLIN or POLLOUT, as io_uring and the epoll backend do it. */
class SimulatedPollTest {

    private final SimulatedKernel kernel = SimulatedKernel.builder().socketBufferBytes(64).build();
    private final RingDriver driver = new RingDriver(kernel, 0);

    @AfterEach
    void closeEverything() {
        driver.ring.close();
        kernel.close();
    }

    private long poll(int fd, int events) {
        IoRequest r = request(Op.POLL_ADD, fd, null, 0, 0, 0);
        r.opFlags(events);
        return driver.submit(r);
    }

    @Test
    void shouldBeSupported() {
        assertTrue(kernel.supports(Op.POLL_ADD));
    }

    @Test
    void shouldWaitForReadableUntilThePeerSends() {
        int[] pair = driver.connectedPair();
        long readable = poll(pair[1], IoRequest.POLLIN);
        driver.reap();
        assertFalse(driver.hasResult(readable), "nothing sent yet");
        driver.send(pair[0], ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals(IoRequest.POLLIN, driver.result(readable));
        assertEquals(IoRequest.POLLIN | IoRequest.POLLOUT, driver.result(poll(pair[1], IoRequest.POLLIN | IoRequest.POLLOUT)), "ready at once while bytes wait");
    }

    @Test
    void shouldWaitForWritableUntilThePeerMakesRoom() {
        int[] pair = driver.connectedPair();
        assertEquals(IoRequest.POLLOUT, driver.result(poll(pair[0], IoRequest.POLLOUT)), "an empty peer inbox has room");
        driver.result(driver.send(pair[0], ByteBuffer.allocate(64))); // fills the peer's 64-byte inbox
        long writable = poll(pair[0], IoRequest.POLLOUT);
        driver.reap();
        assertFalse(driver.hasResult(writable), "the peer's inbox is full");
        assertEquals(64, driver.result(driver.recv(pair[1], ByteBuffer.allocate(64))));
        assertEquals(IoRequest.POLLOUT, driver.result(writable));
    }

    @Test
    void shouldReportEndOfStreamAsReadableAndBothSidesShutAsHangUp() {
        int[] pair = driver.connectedPair();
        long readable = poll(pair[1], IoRequest.POLLIN);
        assertEquals(0, driver.shutdown(pair[0], IoRequest.SHUT_WR));
        assertEquals(IoRequest.POLLIN, driver.result(readable), "a RECV would return 0 now");
        assertEquals(0, kernel.close(pair[0]));
        assertEquals(IoRequest.POLLIN | IoRequest.POLLOUT | IoRequest.POLLHUP, driver.result(poll(pair[1], IoRequest.POLLIN | IoRequest.POLLOUT)),
                "the peer is gone: a RECV returns 0, a SEND fails");
    }

    @Test
    void shouldReportAResetAsError() {
        int listener = kernel.socket();
        assertEquals(0, kernel.listen(listener, new InetSocketAddress("127.0.0.1", 0), 4));
        int client = kernel.socket();
        assertEquals(0, driver.connect(client, kernel.localAddress(listener)));
        long readable = poll(client, IoRequest.POLLIN);
        assertEquals(0, kernel.close(listener)); // the unaccepted connection is refused
        assertEquals(IoRequest.POLLIN | IoRequest.POLLERR | IoRequest.POLLHUP, driver.result(readable));
    }

    @Test
    void shouldWaitOnAListenerUntilAConnectionCanBeAccepted() {
        int listener = kernel.socket();
        assertEquals(0, kernel.listen(listener, new InetSocketAddress("127.0.0.1", 0), 4));
        long acceptable = poll(listener, IoRequest.POLLIN);
        driver.reap();
        assertFalse(driver.hasResult(acceptable));
        assertEquals(0, driver.connect(kernel.socket(), kernel.localAddress(listener)));
        assertEquals(IoRequest.POLLIN, driver.result(acceptable));
    }

    @Test
    void shouldCancelAWaitingPollOnCloseAndOnAsyncCancel() {
        int[] pair = driver.connectedPair();
        long cancelled = poll(pair[1], IoRequest.POLLIN);
        long cancel = driver.cancel(cancelled);
        assertEquals(0, driver.result(cancel));
        assertEquals(-Errno.ECANCELED, driver.result(cancelled));
        long closed = poll(pair[1], IoRequest.POLLIN);
        assertEquals(0, kernel.close(pair[1]));
        assertEquals(-Errno.ECANCELED, driver.result(closed));
    }

    @Test
    void shouldRefuseAPollForNothingAndFindFilesAlwaysReady() {
        int[] pair = driver.connectedPair();
        assertEquals(-Errno.EINVAL, driver.result(poll(pair[0], 0)));
        int file = kernel.open("/f", Backend.O_RDWR | Backend.O_CREAT, 0);
        assertEquals(IoRequest.POLLIN | IoRequest.POLLOUT, driver.result(poll(file, IoRequest.POLLIN | IoRequest.POLLOUT)));
    }
}
