package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.Op;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
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
    /** The clock when time is virtual ({@link Builder#virtualTime()}), else null. */
    private final ManualClock virtualClock;
    private volatile boolean closed;

    private SimulatedKernel(Builder builder) {
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

    public static Builder builder() {
        return new Builder();
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
     * {@link Builder#socketBufferBytes}; an accepted one starts with its listener's values, as on
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

    /** Configures a {@link SimulatedKernel}. Not thread-safe. */
    public static final class Builder {
        private long seed;
        private LongSupplier clock = System::nanoTime;
        private boolean virtualTime;
        private Latency latency = Latency.none();
        private final Latency[] latencyByOpcode = new Latency[Op.SLOTS];
        private final double[] faultProbability = new double[Fault.COUNT];
        private long maxFaultDelayNanos = 100_000;
        private int submissionEntries = 4096;
        private int socketBufferBytes = 256 * 1024;
        private int maxDescriptors = 65_536;
        private long maxFileSize = 1L << 34;
        private int firstEphemeralPort = 40_000;

        private Builder() {
        }

        /** The seed of every ring's random streams (latency samples, faults). Default 0. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The time source in nanoseconds; must be thread-safe and never go back. Default {@code System::nanoTime}. */
        public Builder clock(LongSupplier clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            this.virtualTime = false;
            return this;
        }

        /**
         * Virtual time: the clock starts at 0 and moves only when a ring waits with nothing due, and
         * then at once to its next due completion or link deadline, instead of the ring sleeping
         * until then. Latencies, DELAY faults, TIMEOUTs and read timeouts then cost no real time, and
         * how far the clock has moved depends on what the rings did, not on how fast they ran, so a
         * seed replays a run on one ring whose inputs come only from its own fibrils. A ring's await
         * timeout stays real time.
         */
        public Builder virtualTime() {
            this.clock = new ManualClock();
            this.virtualTime = true;
            return this;
        }

        /** The latency of every opcode not given its own. Default {@link Latency#none()}. */
        public Builder latency(Latency latency) {
            this.latency = Objects.requireNonNull(latency, "latency");
            return this;
        }

        /** The latency of one opcode ({@link Op}), overriding the default. */
        public Builder latency(int opcode, Latency latency) {
            if (opcode < 0 || opcode >= Op.SLOTS) {
                throw new IllegalArgumentException("opcode out of range [0, " + Op.SLOTS + "): " + opcode);
            }
            latencyByOpcode[opcode] = Objects.requireNonNull(latency, "latency");
            return this;
        }

        /** The probability (0 to 1) that {@code kind} hits an op it applies to. Default 0 for every kind. */
        public Builder fault(Fault kind, double probability) {
            if (!(probability >= 0.0 && probability <= 1.0)) {
                throw new IllegalArgumentException("probability must be in [0, 1]: " + probability);
            }
            faultProbability[kind.ordinal()] = probability;
            return this;
        }

        /** The same probability for every fault kind. */
        public Builder faults(double probability) {
            for (Fault kind : Fault.values()) {
                fault(kind, probability);
            }
            return this;
        }

        /** The bound of the extra latency a {@link Fault#DELAY} adds. Default 100 µs. */
        public Builder maxFaultDelay(Duration bound) {
            long nanos = bound.toNanos();
            if (nanos <= 0) {
                throw new IllegalArgumentException("fault delay bound must be positive: " + bound);
            }
            this.maxFaultDelayNanos = nanos;
            return this;
        }

        /** Submission queue entries per ring, rounded up to a power of two. Default 4096. */
        public Builder submissionQueueEntries(int entries) {
            if (entries < 1 || entries > 1 << 20) {
                throw new IllegalArgumentException("submission queue entries must be in [1, 2^20]: " + entries);
            }
            int power = Integer.highestOneBit(entries);
            this.submissionEntries = power == entries ? entries : power << 1;
            return this;
        }

        /** Bytes a socket buffers per direction; SEND waits when the peer's buffer is full. Default 256 KiB. */
        public Builder socketBufferBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("socket buffer must hold at least a byte: " + bytes);
            }
            this.socketBufferBytes = bytes;
            return this;
        }

        /** Open fds allowed at once; beyond it open, socket and accept fail with {@code -EMFILE}. Default 65,536. */
        public Builder maxDescriptors(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("max descriptors must be positive: " + max);
            }
            this.maxDescriptors = max;
            return this;
        }

        /** The largest file; writes and truncates beyond it fail with {@code -EFBIG}. Default 16 GiB. */
        public Builder maxFileSize(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("max file size must not be negative: " + bytes);
            }
            this.maxFileSize = bytes;
            return this;
        }

        /** The first port of the ephemeral range, which ends at 65535. Default 40000. */
        public Builder firstEphemeralPort(int port) {
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.firstEphemeralPort = port;
            return this;
        }

        public SimulatedKernel build() {
            return new SimulatedKernel(this);
        }
    }
}
