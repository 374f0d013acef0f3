package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.fibril.aio.spi.Backend.IPPROTO_TCP;
import static dev.fibril.aio.spi.Backend.SOL_SOCKET;
import static dev.fibril.aio.spi.Backend.SO_KEEPALIVE;
import static dev.fibril.aio.spi.Backend.SO_RCVBUF;
import static dev.fibril.aio.spi.Backend.SO_SNDBUF;
import static dev.fibril.aio.spi.Backend.TCP_NODELAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Socket options through the epoll backend's NIO channels. Buffer sizes are small ones, which
 * Linux doubles and no sysctl caps, and which differ from a new socket's defaults.
 */
class EpollSocketOptionTest extends EpollTestBase {
    private final List<Integer> fds = new ArrayList<>();

    @TempDir
    Path tempDir;

    @AfterEach
    void closeDescriptors() {
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

    @Test
    void shouldSetAndGetEachOptionOnANewSocket() {
        int fd = socket();
        assertEquals(0, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(0, backend.getOption(fd, SOL_SOCKET, SO_KEEPALIVE));

        assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(1, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(0, backend.getOption(fd, SOL_SOCKET, SO_KEEPALIVE), "TCP_NODELAY left SO_KEEPALIVE alone");
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 5));
        assertEquals(1, backend.getOption(fd, SOL_SOCKET, SO_KEEPALIVE), "any non-zero value turns it on");

        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_RCVBUF, 8192));
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_SNDBUF, 6000));
        assertEquals(2 * 8192, backend.getOption(fd, SOL_SOCKET, SO_RCVBUF), "the kernel's figure: twice the request");
        assertEquals(2 * 6000, backend.getOption(fd, SOL_SOCKET, SO_SNDBUF), "the kernel's figure: twice the request");
        assertEquals(-Errno.EINVAL, backend.setOption(fd, SOL_SOCKET, SO_RCVBUF, -1));

        assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 0));
        assertEquals(0, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
    }

    @Test
    void shouldSetOptionsOnConnectedAndAcceptedSockets() {
        int server = socket();
        assertEquals(0, backend.listen(server, new InetSocketAddress("127.0.0.1", 0), 4));
        int client = socket();
        IoRequest accept = driver.request(Op.ACCEPT, server, null, 0, 0, 0);
        IoRequest connect = driver.connect(client, backend.localAddress(server));
        driver.enqueue(accept, connect);
        assertEquals(0, driver.complete(connect));
        int accepted = driver.complete(accept);
        assertTrue(accepted >= FdTable.FIRST_FD, "accept: " + accepted);
        fds.add(accepted);

        for (int fd : new int[] {client, accepted}) {
            assertEquals(0, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY), "fd " + fd);
            assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
            assertEquals(1, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY), "fd " + fd);
        }
    }

    @Test
    void shouldKeepOptionsWhenAFailedConnectRenewsTheSocket() {
        int gone = socket();
        assertEquals(0, backend.listen(gone, new InetSocketAddress("127.0.0.1", 0), 1));
        InetSocketAddress refused = backend.localAddress(gone);
        assertEquals(0, backend.close(gone));
        fds.remove((Integer) gone);

        int client = socket();
        assertEquals(0, backend.setOption(client, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(0, backend.setOption(client, SOL_SOCKET, SO_RCVBUF, 8192));
        assertEquals(-Errno.ECONNREFUSED, driver.run(driver.connect(client, refused)));
        // NIO closed its channel and the fd got a fresh one; a Linux socket keeps its options.
        assertEquals(1, backend.getOption(client, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(2 * 8192, backend.getOption(client, SOL_SOCKET, SO_RCVBUF));
    }

    @Test
    void shouldCarryTheReceiveBufferOverToTheListeningSocket() {
        int server = socket();
        assertEquals(0, backend.setOption(server, SOL_SOCKET, SO_RCVBUF, 8192));
        assertEquals(0, backend.setOption(server, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(0, backend.listen(server, new InetSocketAddress("127.0.0.1", 0), 4));
        assertEquals(2 * 8192, backend.getOption(server, SOL_SOCKET, SO_RCVBUF));
        assertEquals(-Errno.ENOPROTOOPT, backend.getOption(server, IPPROTO_TCP, TCP_NODELAY),
                "a NIO server socket has no TCP_NODELAY");
    }

    @Test
    void shouldFailWithEbadfForAnFdThatIsNotOpen() {
        int fd = socket();
        assertEquals(0, backend.close(fd));
        fds.remove((Integer) fd);
        assertEquals(-Errno.EBADF, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(-Errno.EBADF, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(-Errno.EBADF, backend.setOption(1 << 30, SOL_SOCKET, SO_KEEPALIVE, 1));
        assertEquals(-Errno.EBADF, backend.getOption(-1, SOL_SOCKET, SO_KEEPALIVE));
    }

    @Test
    void shouldFailWithEnotsockForAFileAndEnoprotooptForAnUnknownOption() {
        int file = backend.open(tempDir.resolve("not-a-socket").toString(), Backend.O_RDWR | Backend.O_CREAT, 0644);
        assertTrue(file >= FdTable.FIRST_FD, "open: " + file);
        fds.add(file);
        assertEquals(-Errno.ENOTSOCK, backend.setOption(file, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(-Errno.ENOTSOCK, backend.getOption(file, SOL_SOCKET, SO_RCVBUF));
        assertEquals(-Errno.ENOTSOCK, backend.setOption(file, SOL_SOCKET, 4242, 1));

        int fd = socket();
        assertEquals(-Errno.ENOPROTOOPT, backend.setOption(fd, SOL_SOCKET, 4242, 1));
        assertEquals(-Errno.ENOPROTOOPT, backend.getOption(fd, SOL_SOCKET, 4242));
    }
}
