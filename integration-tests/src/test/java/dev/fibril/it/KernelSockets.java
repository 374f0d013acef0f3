/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.syscall.linux.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Finds this process's descriptor of a TCP connection from its ports alone, through /proc (the
 * connection's socket inode in /proc/net/tcp[6], then the fd whose link names that inode), and
 * reads its options with getsockopt(2) straight through libc: a view of the kernel's socket that
 * does not go through Fibril's channels or backends. Linux only.
 */
final class KernelSockets {

    private KernelSockets() {
    }

    /** This process's fd of the established connection from {@code local} to {@code remote}; fails when there is none. */
    static int fdOf(InetSocketAddress local, InetSocketAddress remote) throws IOException {
        String inode = inodeOf(local.getPort(), remote.getPort());
        for (Map.Entry<Integer, String> fd : openFds().entrySet()) {
            if (fd.getValue().equals("socket:[" + inode + "]")) {
                return fd.getKey();
            }
        }
        throw new AssertionError("no fd of this process is socket inode " + inode);
    }

    /**
     * How many of this process's fds are TCP sockets with {@code port} at one end: a listener on it,
     * the connections it accepted, the clients connected to it. Sockets of other tests (a client's
     * pooled connection that its pool closes later) do not count.
     */
    static long socketsOn(int port) throws IOException {
        String end = String.format(":%04X", port);
        Set<String> inodes = new HashSet<>();
        for (String[] f : tcpTable()) {
            if (f[1].endsWith(end) || f[2].endsWith(end)) {
                inodes.add("socket:[" + f[9] + "]");
            }
        }
        return openFds().values().stream().filter(inodes::contains).count();
    }

    /** getsockopt(2) of an int option, through libc. */
    static int option(int fd, int level, int name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocateFrom(JAVA_INT, -1);
            MemorySegment length = arena.allocateFrom(JAVA_INT, Integer.BYTES);
            int r = Libc.getsockopt(Libc.allocateCallState(arena), fd, level, name, value, length);
            if (r < 0) {
                throw new AssertionError("getsockopt(" + fd + ", " + level + ", " + name + ") failed: errno " + -r);
            }
            return value.get(JAVA_INT, 0);
        }
    }

    /** The inode of the established TCP connection with these ports, IPv4 or IPv6 (dual-stack sockets are in tcp6). */
    private static String inodeOf(int localPort, int remotePort) throws IOException {
        String wanted = String.format(":%04X", localPort);
        String peer = String.format(":%04X", remotePort);
        for (String[] f : tcpTable()) {
            if (f[1].endsWith(wanted) && f[2].endsWith(peer) && f[3].equals("01")) {
                return f[9];
            }
        }
        throw new AssertionError("no established connection " + localPort + " -> " + remotePort + " in /proc/net/tcp[6]");
    }

    /**
     * The rows of /proc/net/tcp and tcp6, split into fields: sl local_address rem_address st
     * tx:rx tr:when retrnsmt uid timeout inode ...
     */
    private static List<String[]> tcpTable() throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9) {
                    rows.add(f);
                }
            }
        }
        return rows;
    }

    /** This process's open fds and what each refers to (its /proc/self/fd link). */
    private static Map<Integer, String> openFds() throws IOException {
        Map<Integer, String> links = new HashMap<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    links.put(Integer.parseInt(fd.getFileName().toString()), Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed while listing: not open
                }
            }
        }
        return links;
    }
}
