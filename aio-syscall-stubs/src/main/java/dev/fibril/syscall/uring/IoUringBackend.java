/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.syscall.linux.Libc;
import dev.fibril.syscall.linux.LinuxConstants;
import dev.fibril.syscall.linux.SockaddrLayout;
import dev.fibril.syscall.linux.StatxLayout;

import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The io_uring {@link Backend}: opens one {@link IoUringRing} per carrier and answers the
 * synchronous calls with plain libc calls (the runtime's fibrils make open, socket, size, truncate
 * and close as OPENAT, SOCKET, STATX, FTRUNCATE and CLOSE requests instead, where {@link #supports}
 * says so). Thread-safe; the synchronous calls allocate (they are
 * the control plane), the rings do not.
 *
 * <p>Sockets are IPv6 dual-stack ({@code AF_INET6}, {@code IPV6_V6ONLY} off) where the host has
 * IPv6, so IPv4 and IPv6 peers both work; IPv4 addresses then travel as IPv4-mapped ones and come
 * back as {@link java.net.Inet4Address}. Without IPv6 (or with {@code -Djava.net.preferIPv4Stack=true})
 * they are {@code AF_INET}. Every descriptor is opened close-on-exec.
 */
public final class IoUringBackend implements Backend {
    private static final System.Logger LOG = System.getLogger("dev.fibril");
    private static volatile boolean featuresLogged;

    private final IoUringConfig config;
    private final IoUringFeatures features;
    private final int socketFamily;
    private final AtomicInteger openDescriptors = new AtomicInteger();
    private final Set<IoUringRing> rings = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** A backend with {@link IoUringConfig#DEFAULT} rings. */
    public IoUringBackend() {
        this(IoUringConfig.DEFAULT);
    }

    /**
     * A backend whose rings have {@code config}'s sizes.
     *
     * @throws IllegalStateException if io_uring is not usable here; {@link #probe()} tells why
     */
    public IoUringBackend(IoUringConfig config) {
        this(config, IoUringFeatures.fromSystemProperties(probe()));
    }

    /**
     * A backend whose rings have {@code config}'s sizes and use {@code features} only.
     *
     * @throws IllegalStateException if io_uring is not usable here; {@link #probe()} tells why
     */
    public IoUringBackend(IoUringConfig config, IoUringFeatures features) {
        IoUringProbe probe = probe();
        if (!probe.available()) {
            throw new IllegalStateException("io_uring is not available: " + probe.reason());
        }
        this.config = config;
        this.features = features;
        this.socketFamily = chooseSocketFamily();
        logFeaturesOnce(features);
    }

    /** One line per feature that is off, the first time a backend is made in this JVM. */
    private static void logFeaturesOnce(IoUringFeatures features) {
        if (featuresLogged) {
            return;
        }
        featuresLogged = true;
        features.offLines().forEach((name, why) ->
                LOG.log(System.Logger.Level.INFO, "Fibril io_uring feature " + name + " is off: " + why));
    }

    /** The features this backend's rings may use. */
    public IoUringFeatures ioUringFeatures() {
        return features;
    }

    @Override
    public dev.fibril.aio.BackendFeatures features(boolean singleThreaded) {
        return features.report(singleThreaded);
    }

    /** Whether io_uring is usable here, and why not; probed once per JVM. Never throws. */
    public static IoUringProbe probe() {
        return ProbeHolder.PROBE;
    }

    /** Heap buffers go through the ring's bounce buffers, held from submission to completion. */
    @Override
    public boolean copiesHeapBuffers() {
        return true;
    }

    /**
     * Whether the rings carry opcode {@code op} ({@link dev.fibril.aio.spi.Op} values): the kernel
     * supports it, and, for the ops that stand in for a synchronous call (OPENAT, CLOSE, STATX,
     * FTRUNCATE, SOCKET), its {@link IoUringFeature} is not switched off.
     */
    @Override
    public boolean supports(int op) {
        IoUringFeature feature = IoUringFeature.ofOp(op);
        return feature != null ? features.enabled(feature) : probe().supports(op);
    }

    /** Where {@link IoUringFeature#ACCEPT_MULTISHOT} is enabled. */
    @Override
    public boolean acceptsMultishot() {
        return features.enabled(IoUringFeature.ACCEPT_MULTISHOT);
    }

    /** Where {@link IoUringFeature#RECV_MULTISHOT} is used (see {@link IoUringFeatures#receivesMultishot()}). */
    @Override
    public boolean receivesMultishot() {
        return features.receivesMultishot();
    }

    @Override
    public String name() {
        return "io_uring";
    }

    /**
     * Opens a ring for carrier {@code carrierIndex}. Call its methods from that carrier only.
     *
     * @throws UncheckedIOException wrapping an {@link ErrnoException} if the kernel refuses
     *         (EMFILE, ENOMEM, ...)
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public IoUringRing openRing(int carrierIndex) {
        return openRing(carrierIndex, false);
    }

    /**
     * {@inheritDoc} With {@code singleThreaded} and a kernel that has them, the ring is
     * SINGLE_ISSUER | DEFER_TASKRUN, bound to the thread that calls {@link IoUringRing#start()}
     * first; any other thread's call into it then fails (EEXIST). Otherwise COOP_TASKRUN.
     */
    @Override
    public IoUringRing openRing(int carrierIndex, boolean singleThreaded) {
        if (closed) {
            throw new IllegalStateException("backend is closed");
        }
        try {
            IoUringRing ring = IoUringRing.open(this, carrierIndex, config, features.setupFlags(singleThreaded), features);
            rings.add(ring);
            return ring;
        } catch (RingMapping.SetupException e) {
            throw new UncheckedIOException(new ErrnoException(e.call, e.errno));
        }
    }

    @Override
    public int open(String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = Libc.openat(Libc.allocateCallState(arena), LinuxConstants.AT_FDCWD, arena.allocateFrom(path),
                    flags | LinuxConstants.O_CLOEXEC, mode);
            return counted(fd);
        }
    }

    @Override
    public int socket() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            int fd = Libc.socket(state, socketFamily, LinuxConstants.SOCK_STREAM | LinuxConstants.SOCK_CLOEXEC, 0);
            if (fd >= 0 && socketFamily == LinuxConstants.AF_INET6) {
                int r = Libc.setsockopt(state, fd, LinuxConstants.IPPROTO_IPV6, LinuxConstants.IPV6_V6ONLY,
                        arena.allocateFrom(JAVA_INT, 0));
                if (r < 0) {
                    Libc.close(state, fd);
                    return r;
                }
            }
            return counted(fd);
        }
    }

    @Override
    public int listen(int fd, InetSocketAddress address, int backlog) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            int r = Libc.setsockopt(state, fd, LinuxConstants.SOL_SOCKET, LinuxConstants.SO_REUSEADDR,
                    arena.allocateFrom(JAVA_INT, 1));
            if (r < 0) {
                return r;
            }
            MemorySegment sockaddr = arena.allocate(SockaddrLayout.MAX_SIZE, Long.BYTES);
            int length = SockaddrLayout.encode(address, socketFamily, sockaddr, 0);
            if (length < 0) {
                return length;
            }
            r = Libc.bind(state, fd, sockaddr, length);
            return r < 0 ? r : Libc.listen(state, fd, backlog);
        }
    }

    @Override
    public InetSocketAddress localAddress(int fd) {
        InetSocketAddress local = socketName(fd, false);
        return local == null || local.getPort() == 0 ? null : local; // port 0: not bound yet
    }

    @Override
    public InetSocketAddress remoteAddress(int fd) {
        return socketName(fd, true);
    }

    private InetSocketAddress socketName(int fd, boolean peer) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            MemorySegment sockaddr = arena.allocate(128, Long.BYTES); // sizeof(struct sockaddr_storage)
            MemorySegment length = arena.allocateFrom(JAVA_INT, (int) sockaddr.byteSize());
            int r = peer ? Libc.getpeername(state, fd, sockaddr, length) : Libc.getsockname(state, fd, sockaddr, length);
            return r < 0 ? null : SockaddrLayout.decode(sockaddr, 0);
        }
    }

    /** {@inheritDoc} Plain setsockopt(2): {@code level} and {@code name} are Linux values already. */
    @Override
    public int setOption(int fd, int level, int name, int value) {
        try (Arena arena = Arena.ofConfined()) {
            return Libc.setsockopt(Libc.allocateCallState(arena), fd, level, name, arena.allocateFrom(JAVA_INT, value));
        }
    }

    /**
     * {@inheritDoc} Plain getsockopt(2); a buffer size comes back as Linux keeps it, twice what
     * was set. {@code -EINVAL} for an option whose value is not an int.
     */
    @Override
    public int getOption(int fd, int level, int name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocateFrom(JAVA_INT, 0);
            MemorySegment length = arena.allocateFrom(JAVA_INT, Integer.BYTES);
            int r = Libc.getsockopt(Libc.allocateCallState(arena), fd, level, name, value, length);
            if (r < 0) {
                return r;
            }
            return length.get(JAVA_INT, 0) == Integer.BYTES ? value.get(JAVA_INT, 0) : -dev.fibril.aio.Errno.EINVAL;
        }
    }

    @Override
    public long size(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment statx = arena.allocate(StatxLayout.LAYOUT);
            int r = Libc.statx(Libc.allocateCallState(arena), fd, arena.allocateFrom(""),
                    LinuxConstants.AT_EMPTY_PATH, LinuxConstants.STATX_SIZE, statx);
            return r < 0 ? r : statx.get(JAVA_LONG, StatxLayout.STX_SIZE_OFFSET);
        }
    }

    @Override
    public int truncate(int fd, long size) {
        try (Arena arena = Arena.ofConfined()) {
            return Libc.ftruncate(Libc.allocateCallState(arena), fd, size);
        }
    }

    /**
     * Cancels what every open ring still has pending on {@code fd} (they complete with -ECANCELED
     * when their owner next reaps), then closes it. Without the cancel, a pending RECV or ACCEPT
     * would stay pending after close(2): io_uring holds its own reference to the file. Blocks for
     * at most a second per ring while the kernel cancels.
     */
    @Override
    public int close(int fd) {
        boolean cancelled = true;
        for (IoUringRing ring : rings) {
            int r = ring.cancelFd(fd);
            // EINVAL: no synchronous cancel here; EEXIST: a SINGLE_ISSUER ring of another thread
            cancelled &= r != -dev.fibril.aio.Errno.EINVAL && r != -dev.fibril.aio.Errno.EEXIST;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            if (!cancelled) {
                // No synchronous cancel (kernel before 6.0, or a ring bound to another thread):
                // shutting a socket down at least ends its pending RECV (0), POLL_ADD (POLLHUP) and
                // ACCEPT (-EINVAL); ENOTSOCK for anything else is fine.
                Libc.shutdown(state, fd, IoRequest.SHUT_RDWR);
            }
            int r = Libc.close(state, fd);
            if (r == 0) {
                openDescriptors.decrementAndGet();
            }
            return r;
        }
    }

    /**
     * A pipe for splicing, both ends close-on-exec: {@code fds[0]} the read end, {@code fds[1]}
     * the write end. Returns 0 or -errno. Close the ends with {@link #close(int)}.
     */
    @Override
    public int pipe(int[] fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(JAVA_INT, 2);
            int r = Libc.pipe2(Libc.allocateCallState(arena), pair, LinuxConstants.O_CLOEXEC);
            if (r == 0) {
                fds[0] = pair.getAtIndex(JAVA_INT, 0);
                fds[1] = pair.getAtIndex(JAVA_INT, 1);
                openDescriptors.addAndGet(2);
            }
            return r;
        }
    }

    /** Descriptors opened and not closed through this backend and its rings (OPENAT, ACCEPT and CLOSE count too). */
    @Override
    public int openDescriptors() {
        return openDescriptors.get();
    }

    /** Marks the backend closed; it holds no native resources of its own. Close the rings first. */
    @Override
    public void close() {
        closed = true;
    }

    int socketFamily() {
        return socketFamily;
    }

    AtomicInteger descriptorCounter() {
        return openDescriptors;
    }

    void onRingClosed(CompletionRing ring) {
        rings.remove(ring);
    }

    private int counted(int fd) {
        if (fd >= 0) {
            openDescriptors.incrementAndGet();
        }
        return fd;
    }

    private static int chooseSocketFamily() {
        if (Boolean.getBoolean("java.net.preferIPv4Stack")) {
            return LinuxConstants.AF_INET;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            int fd = Libc.socket(state, LinuxConstants.AF_INET6, LinuxConstants.SOCK_STREAM | LinuxConstants.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                return LinuxConstants.AF_INET;
            }
            Libc.close(state, fd);
            return LinuxConstants.AF_INET6;
        }
    }

    private static final class ProbeHolder {
        static final IoUringProbe PROBE = IoUringProbe.run();
    }
}
