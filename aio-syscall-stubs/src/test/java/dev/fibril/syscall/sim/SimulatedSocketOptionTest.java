package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static dev.fibril.aio.spi.Backend.IPPROTO_TCP;
import static dev.fibril.aio.spi.Backend.SOL_SOCKET;
import static dev.fibril.aio.spi.Backend.SO_KEEPALIVE;
import static dev.fibril.aio.spi.Backend.SO_RCVBUF;
import static dev.fibril.aio.spi.Backend.SO_SNDBUF;
import static dev.fibril.aio.spi.Backend.TCP_NODELAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedSocketOptionTest {
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);
    private static final int BUFFER_BYTES = 4096;

    private final SimulatedKernel kernel = SimulatedKernel.builder().socketBufferBytes(BUFFER_BYTES).build();
    private final RingDriver driver = new RingDriver(kernel, 0);

    @AfterEach
    void closeEverything() {
        driver.ring.close();
        kernel.close();
    }

    @Test
    void shouldStartWithTheDocumentedDefaults() {
        int fd = kernel.socket();
        assertEquals(0, kernel.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(0, kernel.getOption(fd, SOL_SOCKET, SO_KEEPALIVE));
        assertEquals(BUFFER_BYTES, kernel.getOption(fd, SOL_SOCKET, SO_RCVBUF), "the kernel's socket buffer size");
        assertEquals(BUFFER_BYTES, kernel.getOption(fd, SOL_SOCKET, SO_SNDBUF), "the kernel's socket buffer size");
    }

    @Test
    void shouldReadBackEachOptionAsSetWithoutTouchingTheOthers() {
        int fd = kernel.socket();
        assertEquals(0, kernel.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(1, kernel.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(0, kernel.getOption(fd, SOL_SOCKET, SO_KEEPALIVE));

        assertEquals(0, kernel.setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 9));
        assertEquals(1, kernel.getOption(fd, SOL_SOCKET, SO_KEEPALIVE), "any non-zero value turns it on");

        assertEquals(0, kernel.setOption(fd, SOL_SOCKET, SO_RCVBUF, 12_345));
        assertEquals(0, kernel.setOption(fd, SOL_SOCKET, SO_SNDBUF, 54_321));
        assertEquals(12_345, kernel.getOption(fd, SOL_SOCKET, SO_RCVBUF));
        assertEquals(54_321, kernel.getOption(fd, SOL_SOCKET, SO_SNDBUF));
        assertEquals(-Errno.EINVAL, kernel.setOption(fd, SOL_SOCKET, SO_RCVBUF, 0));
        assertEquals(-Errno.EINVAL, kernel.setOption(fd, SOL_SOCKET, SO_SNDBUF, -1));
        assertEquals(12_345, kernel.getOption(fd, SOL_SOCKET, SO_RCVBUF), "a refused value changes nothing");

        assertEquals(0, kernel.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 0));
        assertEquals(0, kernel.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(1, kernel.getOption(fd, SOL_SOCKET, SO_KEEPALIVE));
    }

    @Test
    void shouldKeepOptionsPerSocketAndStartAcceptedOnesWithTheListenersValues() {
        int listener = kernel.socket();
        assertEquals(0, kernel.setOption(listener, SOL_SOCKET, SO_RCVBUF, 100_000));
        assertEquals(0, kernel.setOption(listener, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(0, kernel.listen(listener, ANY_PORT, 4));
        int client = kernel.socket();
        assertEquals(0, driver.connect(client, kernel.localAddress(listener)));
        int server = driver.result(driver.accept(listener));
        assertTrue(server >= 0, "accept: " + server);

        assertEquals(100_000, kernel.getOption(server, SOL_SOCKET, SO_RCVBUF), "inherited from the listener");
        assertEquals(1, kernel.getOption(server, IPPROTO_TCP, TCP_NODELAY), "inherited from the listener");
        assertEquals(0, kernel.getOption(client, IPPROTO_TCP, TCP_NODELAY), "the client's own");
        assertEquals(0, kernel.setOption(server, IPPROTO_TCP, TCP_NODELAY, 0));
        assertEquals(0, kernel.setOption(client, SOL_SOCKET, SO_KEEPALIVE, 1));
        assertEquals(0, kernel.getOption(server, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(1, kernel.getOption(listener, IPPROTO_TCP, TCP_NODELAY), "the listener keeps its own");
        assertEquals(1, kernel.getOption(client, SOL_SOCKET, SO_KEEPALIVE));
        assertEquals(0, kernel.getOption(server, SOL_SOCKET, SO_KEEPALIVE));
    }

    @Test
    void shouldFailWithEbadfForAnFdThatIsNotOpen() {
        int fd = kernel.socket();
        assertEquals(0, kernel.close(fd));
        assertEquals(-Errno.EBADF, kernel.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(-Errno.EBADF, kernel.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(-Errno.EBADF, kernel.setOption(999, SOL_SOCKET, SO_KEEPALIVE, 1));
        assertEquals(-Errno.EBADF, kernel.getOption(-1, SOL_SOCKET, SO_KEEPALIVE));
    }

    @Test
    void shouldFailWithEnotsockForAFileAndEnoprotooptForAnUnknownOption() {
        int file = kernel.open("/not-a-socket", Backend.O_RDWR | Backend.O_CREAT, 0);
        assertTrue(file >= 0, "open: " + file);
        assertEquals(-Errno.ENOTSOCK, kernel.setOption(file, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(-Errno.ENOTSOCK, kernel.getOption(file, SOL_SOCKET, SO_RCVBUF));

        int fd = kernel.socket();
        assertEquals(-Errno.ENOPROTOOPT, kernel.setOption(fd, SOL_SOCKET, 4242, 1));
        assertEquals(-Errno.ENOPROTOOPT, kernel.getOption(fd, SOL_SOCKET, 4242));
        assertEquals(-Errno.ENOPROTOOPT, kernel.setOption(fd, 4242, TCP_NODELAY, 1));
    }
}
