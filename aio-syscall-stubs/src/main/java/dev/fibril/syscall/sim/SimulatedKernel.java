/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.Op;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * A deterministic, in-memory kernel behind the completion-ring SPI: files keyed by path, stream
 * sockets on a virtual 127.0.0.1, per-op latencies and seeded fault injection. Same seed, same
 * submissions on a ring, same clock: same completions.
 *
 * <pre>{@code
 * SimulatedKernel kernel = SimulatedKernel.builder()
 *         .seed(42)
 *         .latency(Latency.exponential(20_000))
 *         .latency(Op.FSYNC, Latency.fixed(Duration.ofMillis(1)))
 *         .fault(Fault.EINTR, 0.01)
 *         .build();
 * }</pre>
 *
 * <p>Results follow the CQE convention ({@code >= 0} success, {@code -errno} failure); bad input
 * never throws from a ring. Thread-safe; see {@link SimulatedRing} for the ring's own protocol.
 *
 * <p>Descriptors: new fds are the lowest free from 3 and are reused after close, as on Linux.
 * Closing an fd completes every request still pending on it with {@code -ECANCELED}: ops waiting
 * on a socket, and ops whose completion latency still holds back (their effect stays, as with
 * ASYNC_CANCEL; see {@link SimulatedRing}). Each ring applies the latter when its owner next reaps or
 * awaits, and is woken for it. Closing a socket also delivers end of stream to the peer (its RECV
 * returns 0 once it read what was sent, its SEND fails with {@code -EPIPE}); closing a listener
 * refuses its unaccepted connections (their clients see {@code -ECONNRESET}). Requests flushed
 * after the close complete with {@code -EBADF}.
 *
 * <p>Lifecycle: open, then closed by {@link #close()} once every ring is closed; after that no new
 * ring, file or socket can be made.
 */
public final class SimulatedKernel implements Backend {
    private final long seed;
    private final LongSupplier clock;
    private final LatencyModel latency;
    private final FaultPlan faults;
    private final int submissionEntries;
    private final int socketBufferBytes;
    private final DescriptorTable descriptors;
    private final MemoryFileSystem files;
    private final Loopback loopback;
    private final AtomicLongArray faultsInjected = new AtomicLongArray(Fault.COUNT);
    private final Set<SimulatedRing> rings = ConcurrentHashMap.newKeySet();
    /** The clock when time is virtual ({@link SimulatedKernelBuilder#virtualTime()}), else null. */
    private final ManualClock virtualClock;
    private volatile boolean closed;

    SimulatedKernel(SimulatedKernelBuilder builder) {
        this.seed = builder.seed;
        this.clock = builder.clock;
        this.virtualClock = builder.virtualTime ? (ManualClock) builder.clock : null;
        this.latency = new LatencyModel(builder.latency, builder.latencyByOpcode);
        this.faults = new FaultPlan(builder.faultProbability, builder.maxFaultDelayNanos, faultsInjected);
        this.submissionEntries = builder.submissionEntries;
        this.socketBufferBytes = builder.socketBufferBytes;
        this.descriptors = new DescriptorTable(builder.maxDescriptors);
        this.files = new MemoryFileSystem(builder.maxFileSize);
        this.loopback = new Loopback(builder.firstEphemeralPort);
    }

    public static SimulatedKernelBuilder builder() {
        return new SimulatedKernelBuilder();
    }

    /**
     * The simulated kernel has no pipes (so sendFile reads and sends). Its rings run OPENAT, CLOSE,
     * STATX, FTRUNCATE and SOCKET as requests, with their latency and faults. POLL_ADD waits for
     * POLLIN or POLLOUT on a socket (readable, writable, accept queue not empty) as a one-shot poll
     * does; a regular file is always ready.
     */
    @Override
    public boolean supports(int op) {
        return switch (op) {
            case Op.SPLICE -> false;
            default -> op >= 0 && op < Op.SLOTS;
        };
    }

    @Override
    public String name() {
        return "simulated";
    }

    /** A new ring; its random streams derive from the kernel's seed and {@code carrierIndex}. */
    @Override
    public SimulatedRing openRing(int carrierIndex) {
        if (carrierIndex < 0) {
            throw new IllegalArgumentException("carrier index must not be negative: " + carrierIndex);
        }
        ensureOpen();
        SimulatedRing ring = new SimulatedRing(this, carrierIndex, submissionEntries, clock, latency, faults, seed);
        rings.add(ring);
        return ring;
    }

    /** open(2) on the in-memory file system; {@code mode} is ignored (there are no permissions). */
    @Override
    public int open(String path, int flags, int mode) {
        ensureOpen();
        return files.open(path, flags, descriptors);
    }

    @Override
    public int socket() {
        ensureOpen();
        return descriptors.install(new MemorySocket(loopback, descriptors, socketBufferBytes));
    }

    /**
     * Binds to {@code address} (127.0.0.1, the wildcard or "localhost"; port 0 takes an ephemeral
     * port) and listens, with {@code backlog} clamped to [1, 4096] as Linux does.
     * {@code -EADDRINUSE} when the port is taken, {@code -EADDRNOTAVAIL} for a non-local address.
     */
    @Override
    public int listen(int fd, InetSocketAddress address, int backlog) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor instanceof MemorySocket socket) {
            return socket.listen(address, backlog);
        }
        return descriptor == null ? -Errno.EBADF : -Errno.ENOTSOCK;
    }

    @Override
    public InetSocketAddress localAddress(int fd) {
        return descriptors.get(fd) instanceof MemorySocket socket ? socket.localAddress() : null;
    }

    @Override
    public InetSocketAddress remoteAddress(int fd) {
        return descriptors.get(fd) instanceof MemorySocket socket ? socket.remoteAddress() : null;
    }

    /**
     * {@inheritDoc} TCP_NODELAY, SO_KEEPALIVE, SO_RCVBUF and SO_SNDBUF are kept per socket and
     * read back as set (Linux would report twice a buffer size); they change nothing else, since
     * the virtual loopback has no Nagle delay, no keep-alive probes and fixed buffers. A new
     * socket has TCP_NODELAY and SO_KEEPALIVE off and both buffers at
     * {@link SimulatedKernelBuilder#socketBufferBytes}; an accepted one starts with its listener's values, as on
     * Linux. {@code -EINVAL} for a buffer size below 1.
     */
    @Override
    public int setOption(int fd, int level, int name, int value) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor instanceof MemorySocket socket) {
            return socket.setOption(level, name, value);
        }
        return descriptor == null ? -Errno.EBADF : -Errno.ENOTSOCK;
    }

    /** {@inheritDoc} The value as set, see {@link #setOption}. */
    @Override
    public int getOption(int fd, int level, int name) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor instanceof MemorySocket socket) {
            return socket.getOption(level, name);
        }
        return descriptor == null ? -Errno.EBADF : -Errno.ENOTSOCK;
    }

    @Override
    public long size(int fd) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor instanceof OpenFile file) {
            return file.file().size();
        }
        return descriptor == null ? -Errno.EBADF : -Errno.EINVAL;
    }

    /** ftruncate(2): {@code -EINVAL} for a negative size or an fd not open for writing, {@code -EFBIG} beyond the size limit. */
    @Override
    public int truncate(int fd, long size) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor instanceof OpenFile file) {
            return file.writable() ? file.file().truncate(size) : -Errno.EINVAL;
        }
        return descriptor == null ? -Errno.EBADF : -Errno.EINVAL;
    }

    @Override
    public int close(int fd) {
        Descriptor descriptor = descriptors.remove(fd);
        if (descriptor == null) {
            return -Errno.EBADF;
        }
        descriptor.close();
        for (SimulatedRing ring : rings) {
            ring.descriptorClosed(descriptor);
        }
        return 0;
    }

    /** Open fds: files, sockets, listeners and accepted sockets (connections not yet accepted have none). */
    @Override
    public int openDescriptors() {
        return descriptors.count();
    }

    /**
     * Closes every fd still open (peers see end of stream) and the kernel.
     *
     * @throws IllegalStateException if a ring is still open
     */
    @Override
    public void close() {
        if (!rings.isEmpty()) {
            throw new IllegalStateException(rings.size() + " ring(s) still open: close the rings before the kernel");
        }
        closed = true;
        for (int fd : descriptors.openFds()) {
            close(fd);
        }
    }

    /** How many faults of {@code kind} were injected so far, over all rings. */
    public long faultsInjected(Fault kind) {
        return faultsInjected.get(kind.ordinal());
    }

    public long seed() {
        return seed;
    }

    /** A copy of the file at {@code path}, or null when there is none. For tests and tools. */
    public byte[] fileContent(String path) {
        MemoryFile file = files.find(path);
        return file == null ? null : file.toByteArray();
    }

    /** unlink(2): removes the name; fds open on the file keep working. 0 or {@code -ENOENT}. */
    public int unlink(String path) {
        return files.unlink(path);
    }

    /** The virtual clock, which a ring with nothing to do but wait moves on; null with real or manual time. */
    ManualClock virtualClock() {
        return virtualClock;
    }

    Descriptor descriptor(int fd) {
        return descriptors.get(fd);
    }

    void ringClosed(SimulatedRing ring) {
        rings.remove(ring);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the simulated kernel is closed");
        }
    }
}
