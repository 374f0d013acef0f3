/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.linux.Libc;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.fibril.aio.spi.Backend.IPPROTO_TCP;
import static dev.fibril.aio.spi.Backend.SOL_SOCKET;
import static dev.fibril.aio.spi.Backend.SO_KEEPALIVE;
import static dev.fibril.aio.spi.Backend.SO_RCVBUF;
import static dev.fibril.aio.spi.Backend.SO_SNDBUF;
import static dev.fibril.aio.spi.Backend.TCP_NODELAY;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * setsockopt/getsockopt through {@link Backend#setOption} and {@link Backend#getOption}: each option
 * reads back as set without touching the others, on new, connected, accepted and listening sockets,
 * and where descriptors are the kernel's, the kernel's own getsockopt agrees.
 */
public abstract class SocketOptionContract extends BackendFixture {
    protected SocketOptionContract(BackendKind kind) {
        super(kind);
    }

    @Test
    void shouldStartWithNaglesAlgorithmOnAndKeepAliveOff() {
        int fd = socket();
        assertEquals(0, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(0, backend.getOption(fd, SOL_SOCKET, SO_KEEPALIVE));
    }

    @Test
    void shouldReadBackEachFlagAsSetWithoutTouchingTheOthers() {
        int fd = socket();
        assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(1, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(0, backend.getOption(fd, SOL_SOCKET, SO_KEEPALIVE), "TCP_NODELAY left SO_KEEPALIVE alone");
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 7));
        assertEquals(1, backend.getOption(fd, SOL_SOCKET, SO_KEEPALIVE), "any non-zero value turns it on");
        assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 0));
        assertEquals(0, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(1, backend.getOption(fd, SOL_SOCKET, SO_KEEPALIVE), "TCP_NODELAY left SO_KEEPALIVE alone");
    }

    @Test
    void shouldSetFlagsTheKernelThenReports() {
        require(Capability.KERNEL_DESCRIPTORS);
        int fd = socket();
        assertEquals(0, kernelValue(fd, IPPROTO_TCP, TCP_NODELAY), "Nagle is on for a new socket");
        assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(1, kernelValue(fd, IPPROTO_TCP, TCP_NODELAY), "the kernel's own getsockopt sees TCP_NODELAY");
        assertEquals(0, kernelValue(fd, SOL_SOCKET, SO_KEEPALIVE), "TCP_NODELAY left SO_KEEPALIVE alone");
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 7));
        assertEquals(1, kernelValue(fd, SOL_SOCKET, SO_KEEPALIVE));
    }

    @Test
    void shouldReadSmallBufferSizesBackDoubledAsLinuxKeepsThem() {
        require(Capability.DOUBLED_SOCKET_BUFFERS);
        int fd = socket();
        // small sizes: Linux doubles them, no sysctl caps them, and they differ from a new socket's
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_RCVBUF, 8192));
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_SNDBUF, 6000));
        assertEquals(2 * 8192, backend.getOption(fd, SOL_SOCKET, SO_RCVBUF), "the kernel's figure: twice the request");
        assertEquals(2 * 6000, backend.getOption(fd, SOL_SOCKET, SO_SNDBUF), "the kernel's figure: twice the request");
        if (kind.has(Capability.KERNEL_DESCRIPTORS)) {
            assertEquals(2 * 8192, kernelValue(fd, SOL_SOCKET, SO_RCVBUF));
        }
    }

    @Test
    void shouldStartBufferSizesAtTheSysctlDefaultsAndDoubleLargeOnesUpToTheCaps() {
        require(Capability.DOUBLED_SOCKET_BUFFERS);
        require(Capability.KERNEL_DESCRIPTORS);
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
    void shouldReadBufferSizesBackExactlyAsSetAndRefuseNonPositiveOnes() {
        require(Capability.EXACT_SOCKET_BUFFERS);
        int fd = socket();
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_RCVBUF, 12_345));
        assertEquals(0, backend.setOption(fd, SOL_SOCKET, SO_SNDBUF, 54_321));
        assertEquals(12_345, backend.getOption(fd, SOL_SOCKET, SO_RCVBUF));
        assertEquals(54_321, backend.getOption(fd, SOL_SOCKET, SO_SNDBUF));
        assertEquals(-Errno.EINVAL, backend.setOption(fd, SOL_SOCKET, SO_RCVBUF, 0));
        assertEquals(12_345, backend.getOption(fd, SOL_SOCKET, SO_RCVBUF), "a refused value changes nothing");
    }

    @Test
    void shouldRefuseANegativeBufferSize() {
        require(Capability.NEGATIVE_BUFFER_REFUSED);
        int fd = socket();
        int before = backend.getOption(fd, SOL_SOCKET, SO_SNDBUF);
        assertEquals(-Errno.EINVAL, backend.setOption(fd, SOL_SOCKET, SO_SNDBUF, -1));
        assertEquals(before, backend.getOption(fd, SOL_SOCKET, SO_SNDBUF), "a refused value changes nothing");
    }

    @Test
    void shouldSetOptionsOnConnectedAndAcceptedSockets() {
        for (int fd : connectedPair()) {
            assertEquals(0, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY), "fd " + fd);
            assertEquals(0, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
            assertEquals(1, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY), "fd " + fd);
            if (kind.has(Capability.KERNEL_DESCRIPTORS)) {
                assertEquals(1, kernelValue(fd, IPPROTO_TCP, TCP_NODELAY), "fd " + fd);
            }
        }
    }

    @Test
    void shouldKeepOptionsThroughAFailedConnect() {
        int gone = listener("127.0.0.1", 1);
        var refused = backend.localAddress(gone);
        closeNow(gone);
        int client = socket();
        assertEquals(0, backend.setOption(client, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(0, backend.setOption(client, SOL_SOCKET, SO_RCVBUF, 8192));
        int rcvbuf = backend.getOption(client, SOL_SOCKET, SO_RCVBUF);
        assertEquals(-Errno.ECONNREFUSED, driver.run(driver.connect(client, refused)));
        assertEquals(1, backend.getOption(client, IPPROTO_TCP, TCP_NODELAY), "a Linux socket keeps its options");
        assertEquals(rcvbuf, backend.getOption(client, SOL_SOCKET, SO_RCVBUF));
    }

    @Test
    void shouldKeepTheReceiveBufferOfASocketThatStartsListening() {
        int server = socket();
        assertEquals(0, backend.setOption(server, SOL_SOCKET, SO_RCVBUF, 8192));
        int rcvbuf = backend.getOption(server, SOL_SOCKET, SO_RCVBUF);
        assertEquals(0, backend.setOption(server, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(0, backend.listen(server, new java.net.InetSocketAddress("127.0.0.1", 0), 4));
        assertEquals(rcvbuf, backend.getOption(server, SOL_SOCKET, SO_RCVBUF));
        if (kind.has(Capability.LISTENER_FLAGS)) {
            assertEquals(1, backend.getOption(server, IPPROTO_TCP, TCP_NODELAY));
        } else {
            assertEquals(-Errno.ENOPROTOOPT, backend.getOption(server, IPPROTO_TCP, TCP_NODELAY),
                    "without LISTENER_FLAGS a listening socket says it has no TCP_NODELAY");
        }
    }

    @Test
    void shouldStartAcceptedSocketsWithTheListenersOptionsAndKeepThemApart() {
        require(Capability.INHERITED_SOCKET_OPTIONS);
        int listener = socket();
        assertEquals(0, backend.setOption(listener, SOL_SOCKET, SO_RCVBUF, 100_000));
        assertEquals(0, backend.setOption(listener, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(0, backend.listen(listener, new java.net.InetSocketAddress("127.0.0.1", 0), 4));
        int client = socket();
        var accept = driver.request(dev.fibril.aio.spi.Op.ACCEPT, listener, null, 0, 0, 0);
        var connect = driver.connect(client, backend.localAddress(listener));
        driver.enqueue(accept, connect);
        assertEquals(0, driver.complete(connect));
        int server = track(driver.complete(accept));

        assertEquals(backend.getOption(listener, SOL_SOCKET, SO_RCVBUF), backend.getOption(server, SOL_SOCKET, SO_RCVBUF),
                "inherited from the listener");
        assertEquals(1, backend.getOption(server, IPPROTO_TCP, TCP_NODELAY), "inherited from the listener");
        assertEquals(0, backend.getOption(client, IPPROTO_TCP, TCP_NODELAY), "the client's own");
        assertEquals(0, backend.setOption(server, IPPROTO_TCP, TCP_NODELAY, 0));
        assertEquals(0, backend.setOption(client, SOL_SOCKET, SO_KEEPALIVE, 1));
        assertEquals(0, backend.getOption(server, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(1, backend.getOption(listener, IPPROTO_TCP, TCP_NODELAY), "the listener keeps its own");
        assertEquals(1, backend.getOption(client, SOL_SOCKET, SO_KEEPALIVE));
        assertEquals(0, backend.getOption(server, SOL_SOCKET, SO_KEEPALIVE));
    }

    @Test
    void shouldFailWithEbadfForAnFdThatIsNotOpen() {
        int fd = socket();
        closeNow(fd);
        assertEquals(-Errno.EBADF, backend.setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(-Errno.EBADF, backend.getOption(fd, IPPROTO_TCP, TCP_NODELAY));
        assertEquals(-Errno.EBADF, backend.setOption(1 << 30, SOL_SOCKET, SO_KEEPALIVE, 1));
        assertEquals(-Errno.EBADF, backend.getOption(-1, SOL_SOCKET, SO_KEEPALIVE));
    }

    @Test
    void shouldFailWithEnotsockForAFileAndEnoprotooptForAnUnknownOption() {
        int file = file("not-a-socket", new byte[0]);
        assertEquals(-Errno.ENOTSOCK, backend.setOption(file, IPPROTO_TCP, TCP_NODELAY, 1));
        assertEquals(-Errno.ENOTSOCK, backend.getOption(file, SOL_SOCKET, SO_RCVBUF));
        assertEquals(-Errno.ENOTSOCK, backend.setOption(file, SOL_SOCKET, 4242, 1));

        int fd = socket();
        assertEquals(-Errno.ENOPROTOOPT, backend.setOption(fd, SOL_SOCKET, 4242, 1));
        assertEquals(-Errno.ENOPROTOOPT, backend.getOption(fd, SOL_SOCKET, 4242));
        assertEquals(-Errno.ENOPROTOOPT, backend.setOption(fd, 4242, TCP_NODELAY, 1), "an unknown level");
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
}
