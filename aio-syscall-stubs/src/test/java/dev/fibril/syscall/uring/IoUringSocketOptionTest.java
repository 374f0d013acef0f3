package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.Libc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.fibril.aio.spi.Backend.IPPROTO_TCP;
import static dev.fibril.aio.spi.Backend.SOL_SOCKET;
import static dev.fibril.aio.spi.Backend.SO_KEEPALIVE;
import static dev.fibril.aio.spi.Backend.SO_RCVBUF;
import static dev.fibril.aio.spi.Backend.SO_SNDBUF;
import static dev.fibril.aio.spi.Backend.TCP_NODELAY;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** setsockopt/getsockopt through the io_uring backend, checked against what the kernel itself reports. */
class IoUringSocketOptionTest extends IoUringTestBase {
    private final List<Integer> fds = new ArrayList<>();

    @TempDir
    Path tempDir;

    @AfterEach
    void closeDescriptors() {
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

    /** getsockopt(2) straight through libc, not through the backend under test. */
    private static int kernelValue(int fd, int level, int name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocateFrom(JAVA_INT, -1);
            MemorySegment length = arena.allocateFrom(JAVA_INT, Integer.BYTES);
            int r = Libc.getsockopt(Libc.allocateCallState(arena), fd, level, name, value, length);
            assertEquals(0, r, "getsockopt");
            assertEquals(Integer.BYTES, length.get(JAVA_INT, 0));
            return value.get(JAVA_INT, 0);
        }
    }

    /** The middle ("default") figure of a net.ipv4.tcp_[rw]mem triple, or -1 when it cannot be read. */
    private static long sysctlDefault(String name) {
        String[] triple = sysctlLine("/proc/sys/net/ipv4/" + name).split("\\s+");
        return triple.length == 3 ? Long.parseLong(triple[1]) : -1;
    }

    private static long sysctl(String path) {
        String line = sysctlLine(path);
        return line.isEmpty() ? -1 : Long.parseLong(line);
    }

    /**
     * The first line of a /proc/sys file, or "" when it cannot be read. Read through a buffered
     * reader: /proc reports size 0, and Files.readString then reads a single byte of it.
     */
    private static String sysctlLine(String path) {
        try {
            List<String> lines = Files.readAllLines(Path.of(path));
            return lines.isEmpty() ? "" : lines.getFirst().trim();
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void shouldSetTcpNoDelayAsTheKernelThenReportsIt() {
        int fd = socket();
        assertEquals(0, kernelValue(fd, IPPROTO_TCP, TCP_NODELAY), "Nagle is on for a new socket");
        assertEquals(0, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));

        assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(1, kernelValue(fd, IPPROTO_TCP, TCP_NODELAY), "the kernel's own getsockopt sees TCP_NODELAY");
        assertEquals(1, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(0, kernelValue(fd, SOL_SOCKET, SO_KEEPALIVE), "TCP_NODELAY left SO_KEEPALIVE alone");

        assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 0));
        assertEquals(0, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
    }

    @Test
    void shouldSetKeepAliveAsTheKernelThenReportsIt() {
        int fd = socket();
        assertEquals(0, backend.getOption(fd, SOL_SOCKET, SO_KEEPALIVE));
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 7), "any non-zero value turns it on");
        assertEquals(1, kernelValue(fd, SOL_SOCKET, SO_KEEPALIVE));
        assertEquals(1, backend.getOption(fd, SOL_SOCKET, SO_KEEPALIVE));
        assertEquals(0, kernelValue(fd, IPPROTO_TCP, TCP_NODELAY), "SO_KEEPALIVE left TCP_NODELAY alone");
    }

    @Test
    void shouldReadBufferSizesBackAsLinuxKeepsThem() {
        int fd = socket();
        long rmemDefault = sysctlDefault("tcp_rmem");
        long wmemDefault = sysctlDefault("tcp_wmem");
        if (rmemDefault > 0 && wmemDefault > 0) {
            // A new TCP socket starts at the sysctl defaults: proof the names reach SO_RCVBUF and SO_SNDBUF.
            assertEquals(rmemDefault, backend.getOption(fd, SOL_SOCKET, SO_RCVBUF));
            assertEquals(wmemDefault, backend.getOption(fd, SOL_SOCKET, SO_SNDBUF));
        }
        long rmemMax = sysctl("/proc/sys/net/core/rmem_max");
        long wmemMax = sysctl("/proc/sys/net/core/wmem_max");
        assumeTrue(rmemMax >= 48 * 1024 && wmemMax >= 40 * 1024, "buffer caps too small to check doubling");
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_RCVBUF, 48 * 1024));
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_SNDBUF, 40 * 1024));
        assertEquals(2 * 48 * 1024, backend.getOption(fd, SOL_SOCKET, SO_RCVBUF), "Linux doubles what was set");
        assertEquals(2 * 40 * 1024, backend.getOption(fd, SOL_SOCKET, SO_SNDBUF), "Linux doubles what was set");
        assertEquals(2 * 48 * 1024, kernelValue(fd, SOL_SOCKET, SO_RCVBUF));
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
        assertTrue(accepted >= 0, "accept: " + accepted);
        fds.add(accepted);

        for (int fd : new int[] {client, accepted}) {
            assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
            assertEquals(1, kernelValue(fd, IPPROTO_TCP, TCP_NODELAY), "fd " + fd);
            assertEquals(1, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY), "fd " + fd);
        }
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
    void shouldFailWithEnotsockForAFileAndEnoprotooptForAnUnknownOption() throws IOException {
        int file = backend.open(Files.createFile(tempDir.resolve("not-a-socket")).toString(), Backend.O_RDWR, 0);
        assertTrue(file >= 0, "open: " + file);
        fds.add(file);
        assertEquals(-Errno.ENOTSOCK, backend.setOption(file, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(-Errno.ENOTSOCK, backend.getOption(file, SOL_SOCKET, SO_RCVBUF));

        int fd = socket();
        assertEquals(-Errno.ENOPROTOOPT, backend.setOption(fd, SOL_SOCKET, 4242, 1));
        assertEquals(-Errno.ENOPROTOOPT, backend.getOption(fd, SOL_SOCKET, 4242));
    }
}
