/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.IoBatch;
import dev.fibril.aio.spi.Backend;
import dev.fibril.internal.Backends;
import dev.fibril.internal.channel.DescriptorCalls;
import dev.fibril.internal.channel.FileChannelImpl;
import dev.fibril.internal.channel.IoBatchImpl;
import dev.fibril.internal.channel.ServerSocketChannelImpl;
import dev.fibril.internal.channel.SocketChannelImpl;
import dev.fibril.internal.metrics.FibrilMetrics;
import dev.fibril.internal.metrics.RuntimeStatisticsEvent;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.CarrierGroup;
import dev.fibril.internal.scheduler.RuntimeClosedException;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;

/**
 * A Fibril runtime: carriers (one platform thread each) that schedule fibrils — virtual threads
 * whose blocking I/O calls become requests on the carrier's completion ring — and the channels
 * that make those calls.
 *
 * <pre>{@code
 * try (FibrilRuntime rt = Fibril.runtime().carriers(2).build()) {
 *     rt.start(() -> { ... blocking-style code ... }).join();
 * }
 * }</pre>
 *
 * Channel calls from a fibril of this runtime park the fibril and allocate nothing; calls from
 * any other thread work too, blocking that thread, through a slower cross-thread path.
 */
public final class FibrilRuntime implements AutoCloseable {
    private final CarrierGroup group;
    private final Duration closeTimeout;
    private final FibrilMetrics metrics;
    private final java.util.function.Supplier<RuntimeStats> statsSource;

    private FibrilRuntime(Builder b) {
        Backend backend = b.backendInstance != null ? b.backendInstance : Backends.open(b.backendName);
        try {
            this.group = new CarrierGroup(backend, b.carriers, b.poolSize, b.poolBound, b.strict,
                    b.handoffThreshold, b.maxSpareThreads);
            group.configureReceiveBuffers(b.receiveBufferCount, b.receiveBufferSize);
        } catch (RuntimeException e) {
            if (b.backendInstance == null) {
                backend.close();
            }
            throw e;
        }
        this.closeTimeout = b.closeTimeout;
        this.metrics = new FibrilMetrics(group);
        this.statsSource = metrics::snapshot; // one object: unregister removes what register added
        RuntimeStatisticsEvent.register(statsSource);
    }

    /**
     * Starts a fibril running {@code task}.
     *
     * @throws java.util.concurrent.RejectedExecutionException once {@link #close()} has begun
     */
    public Thread start(Runnable task) {
        return group.start(task);
    }

    /**
     * Runs {@code task} on a fibril. Called from a fibril of this runtime, the task runs on one of
     * that fibril's carrier's spare fibrils, which park between tasks (up to 256 per carrier), so
     * once they are warm a dispatch allocates nothing; tasks dispatched together run in turn on one
     * spare, with no switch between them, unless one parks, and then the rest go on without it;
     * from any other thread it
     * starts a new fibril, as {@link #start} does. For short tasks handed over at a high rate, such
     * as a server's per-request callbacks. The task's thread is a spare's: it may have run other
     * tasks before, and an interrupt status it leaves is cleared.
     *
     * @throws java.util.concurrent.RejectedExecutionException once {@link #close()} has begun
     * @throws NullPointerException if {@code task} is null
     */
    public void dispatch(Runnable task) {
        group.dispatch(task);
    }

    /** An {@link ExecutorService} that runs each task in a new fibril; shut down by {@link #close()}. */
    public ExecutorService executor() {
        return group.executor();
    }

    /** A factory of unstarted fibrils; returns null (rejects) once {@link #close()} has begun. */
    public ThreadFactory threadFactory() {
        return group.threadFactory();
    }

    /**
     * Opens a file. Options as {@link java.nio.channels.FileChannel#open}: READ (the default),
     * WRITE, APPEND, CREATE, CREATE_NEW, TRUNCATE_EXISTING. With APPEND every write goes to the end
     * of the file in the kernel (O_APPEND), so appends through other channels or processes never
     * overwrite it (on epoll only without READ, as java.nio refuses READ with APPEND; with it the
     * runtime writes at the size it reads first).
     *
     * <p>From a fibril of this runtime the open is a request on its carrier's ring (io_uring's
     * OPENAT) and parks the fibril, where the backend's rings carry it; elsewhere it is a
     * synchronous call. A fibril interrupted before or during the open gets
     * {@link java.nio.channels.ClosedByInterruptException}, and nothing stays open.
     *
     * @throws UnsupportedOperationException for another option
     * @throws ErrnoException                naming the path, for ENOENT, EACCES, EEXIST and other kernel errors
     */
    public FibrilFileChannel openFile(Path path, OpenOption... options) throws IOException {
        Objects.requireNonNull(path, "path");
        Set<OpenOption> opts = Set.of(options);
        for (OpenOption o : opts) {
            if (!(o instanceof StandardOpenOption so) || switch (so) {
                case READ, WRITE, APPEND, CREATE, CREATE_NEW, TRUNCATE_EXISTING -> false;
                default -> true;
            }) {
                throw new UnsupportedOperationException("open option not supported: " + o);
            }
        }
        boolean append = opts.contains(StandardOpenOption.APPEND);
        boolean write = append || opts.contains(StandardOpenOption.WRITE);
        boolean read = opts.contains(StandardOpenOption.READ) || !write;
        if (append && opts.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            throw new IllegalArgumentException("APPEND and TRUNCATE_EXISTING cannot be combined");
        }
        int flags = read && write ? Backend.O_RDWR : write ? Backend.O_WRONLY : Backend.O_RDONLY;
        if (write && opts.contains(StandardOpenOption.CREATE_NEW)) {
            flags |= Backend.O_CREAT | Backend.O_EXCL;
        } else if (write && opts.contains(StandardOpenOption.CREATE)) {
            flags |= Backend.O_CREAT;
        }
        if (write && opts.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            flags |= Backend.O_TRUNC;
        }
        if (append) {
            flags |= Backend.O_APPEND; // the kernel puts each write at the end: appends from other files never overwrite it
        }
        ensureOpen();
        String name = path.toString();
        int fd = DescriptorCalls.open(group, name, flags, 0644);
        return registered(() -> new FileChannelImpl(group, fd, name, read, write, append), fd);
    }

    /** A new, unconnected stream socket. */
    public FibrilSocketChannel openSocket() throws IOException {
        int fd = newSocket();
        return registered(() -> new SocketChannelImpl(group, fd, false), fd);
    }

    /** A new, unbound listening socket. */
    public FibrilServerSocketChannel openServerSocket() throws IOException {
        int fd = newSocket();
        return registered(() -> new ServerSocketChannelImpl(group, fd), fd);
    }

    /** A batch for submit-many / await-completions use; must be used from a fibril of this runtime. */
    public IoBatch newBatch() throws IOException {
        ensureOpen();
        Carrier c = Carrier.current();
        if (c == null || c.group() != group) {
            throw new IllegalStateException("an IoBatch must be opened and used by a fibril of this runtime");
        }
        return new IoBatchImpl(c);
    }

    /** Micrometer meters for this runtime (fibrils, switches, requests, descriptors, run queues). */
    public MeterBinder meterBinder() {
        return metrics;
    }

    /** A snapshot of the runtime's counters. */
    public RuntimeStats stats() {
        return metrics.snapshot();
    }

    /** The backend's name: {@code simulated}, {@code io_uring} or {@code epoll}. */
    public String backendName() {
        return group.backend().name();
    }

    /**
     * The optional kernel features the backend uses for this runtime, and why each of the others
     * is off: io_uring's setup flags and registrations, probed once per JVM and each switchable off
     * with {@code -Dfibril.io_uring.<name>=false} (see {@link dev.fibril.aio.BackendFeatures}).
     * Which flags a ring gets also depends on {@link Builder#handoffThreshold}: SINGLE_ISSUER and
     * DEFER_TASKRUN only with the hand-off off. Immutable; epoll and the simulated kernel report none.
     */
    public dev.fibril.aio.BackendFeatures backendFeatures() {
        return group.backendFeatures();
    }

    /** The backend, for tests and tools that need its own accounting. */
    public Backend backend() {
        return group.backendInstance();
    }

    /** Closes with the builder's close timeout; see {@link #close(Duration)}. */
    @Override
    public void close() {
        close(closeTimeout);
    }

    /**
     * Stops new fibrils, waits up to {@code timeout} for running ones, then interrupts those left
     * (their in-flight requests are cancelled and complete before their descriptors are freed),
     * closes channels still open and stops the carriers. Bounded: never hangs. Idempotent.
     */
    public void close(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative close timeout: " + timeout);
        }
        try {
            group.close(timeout);
        } finally {
            RuntimeStatisticsEvent.unregister(statsSource);
        }
    }

    private void ensureOpen() throws RuntimeClosedException {
        if (group.state() != CarrierGroup.State.OPEN) {
            throw new RuntimeClosedException("Fibril runtime is " + group.state().name().toLowerCase());
        }
    }

    private int newSocket() throws IOException {
        ensureOpen();
        return DescriptorCalls.socket(group);
    }

    private interface ChannelConstructor<T> {
        T create() throws ClosedChannelException;
    }

    private <T> T registered(ChannelConstructor<T> constructor, int fd) throws ClosedChannelException {
        try {
            return constructor.create();
        } catch (ClosedChannelException | RuntimeException e) {
            DescriptorCalls.close(group, fd);
            throw e;
        }
    }

    /** Configures a runtime. Every setting has a default; {@link #build()} starts the carriers. */
    public static final class Builder {
        private int carriers = Runtime.getRuntime().availableProcessors();
        private String backendName = System.getProperty("fibril.backend");
        private Backend backendInstance;
        private int poolSize = 256;
        private int poolBound = 65_536;
        private int receiveBufferCount = 256;
        private int receiveBufferSize = 16 * 1024;
        private boolean strict;
        private Duration closeTimeout = Duration.ofSeconds(5);
        private Duration handoffThreshold = Duration.ofMillis(5);
        private int maxSpareThreads = 16;

        Builder() {
        }

        /** Number of carriers (platform threads); default: available processors. */
        public Builder carriers(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("carriers must be at least 1, was " + count);
            }
            this.carriers = count;
            return this;
        }

        /** Backend by name: {@code simulated}, {@code io_uring} or {@code epoll}; default: {@code -Dfibril.backend}, else probed. */
        public Builder backend(String name) {
            this.backendName = Objects.requireNonNull(name, "backend name");
            this.backendInstance = null;
            return this;
        }

        /** A backend instance (for example a configured simulated kernel); the runtime closes it. */
        public Builder backend(Backend backend) {
            this.backendInstance = Objects.requireNonNull(backend, "backend");
            this.backendName = null;
            return this;
        }

        /** Descriptors preallocated per carrier (default 256). */
        public Builder descriptorPoolSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("descriptor pool size must be at least 1, was " + size);
            }
            this.poolSize = size;
            return this;
        }

        /** Most descriptors per carrier; callers beyond it park until one frees (default 65,536: a parked receive holds one, so the bound caps a carrier's waiting connections). */
        public Builder descriptorPoolBound(int bound) {
            if (bound < 1) {
                throw new IllegalArgumentException("descriptor pool bound must be at least 1, was " + bound);
            }
            this.poolBound = bound;
            return this;
        }

        /**
         * The buffers {@link dev.fibril.aio.FibrilSocketChannel#receive()} lends, per carrier:
         * {@code count} of {@code size} bytes (default 256 of 16 KiB), made on the carrier's first
         * receive. On io_uring they are the carrier's provided buffer ring, so the kernel picks one
         * only when data arrives; when all are lent, receives wait for one to come back.
         *
         * @throws IllegalArgumentException if {@code count} is not a power of two in [1, 32768] or
         *         {@code size} is not in [512, 1 MiB]
         */
        public Builder receiveBuffers(int count, int size) {
            new dev.fibril.internal.io.ReceiveBuffers(count, size); // validates now, allocates nothing
            this.receiveBufferCount = count;
            this.receiveBufferSize = size;
            return this;
        }

        /** Strict mode: refuse to start without the scheduler hook instead of falling back. */
        public Builder strict(boolean strict) {
            this.strict = strict;
            return this;
        }

        /** How long {@link FibrilRuntime#close()} waits for fibrils before interrupting them (default 5 s). */
        public Builder closeTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("negative close timeout: " + timeout);
            }
            this.closeTimeout = timeout;
            return this;
        }

        /**
         * How long a fibril may hold its carrier's thread (a CPU loop, a blocking java.io or native
         * call, a park while pinned) while other work of that carrier waits, before the carrier is
         * handed to a spare thread and goes on without it (default 5 ms). {@link Duration#ZERO}
         * turns the hand-off off: a held carrier then waits for its thread.
         */
        public Builder handoffThreshold(Duration threshold) {
            Objects.requireNonNull(threshold, "threshold");
            if (threshold.isNegative()) {
                throw new IllegalArgumentException("negative hand-off threshold: " + threshold);
            }
            this.handoffThreshold = threshold;
            return this;
        }

        /**
         * Most spare threads the runtime keeps for carriers whose thread is held (default 16). When
         * all are in use a held carrier waits for its thread; the runtime says so once in the log
         * and counts it in {@link RuntimeStats#handoffsRefused()}. Idle spares retire.
         */
        public Builder maxSpareThreads(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("max spare threads must not be negative, was " + max);
            }
            this.maxSpareThreads = max;
            return this;
        }

        public FibrilRuntime build() {
            if (poolSize > poolBound) {
                throw new IllegalArgumentException("descriptor pool size " + poolSize + " exceeds its bound " + poolBound);
            }
            return new FibrilRuntime(this);
        }
    }
}
