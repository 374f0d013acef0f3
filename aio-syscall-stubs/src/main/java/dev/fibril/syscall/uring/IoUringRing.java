/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.Libc;
import dev.fibril.syscall.linux.LinuxConstants;
import dev.fibril.syscall.linux.TimespecLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.fibril.syscall.uring.IoUringConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A {@link CompletionRing} on one io_uring instance, for one carrier.
 *
 * <p>Threads: the owner (the thread driving the carrier) calls everything except {@link #wakeup()},
 * which any thread may call, and {@link #cancelFd}, which the backend calls from any thread. The
 * owner's state (SQ tail, CQ head, the in-flight table, the bounce buffers) is plain fields; only
 * the wake-up flag, the closed flag and the count of foreign callers are shared ({@link RingWakeup}).
 *
 * <p>Start: the ring is set up disabled (IORING_SETUP_R_DISABLED, where the kernel has it) by
 * whichever thread builds the runtime, and {@link #start()} enables it (IORING_REGISTER_ENABLE_RINGS)
 * on the thread that drives it first, before anything is submitted: a SINGLE_ISSUER ring is bound
 * to that thread for life (see docs/DESIGN.md, "Rings and their threads"). The first owner call
 * starts a ring that nobody started.
 *
 * <p>Submission: {@link #enqueue} writes an SQE ({@link RequestCodec} maps the fields) whose
 * user_data is the token of a slot ({@link InFlightTable}); {@link #flush} publishes the SQ tail
 * and submits with one io_uring_enter ({@link RingEnter}). Completion: {@link #reap} delivers the
 * requests the ring failed by itself (bad buffer region) first, then the CQEs ({@link RingReaper},
 * which also moves completions out of the kernel's overflow list). One SQE is held back from
 * {@link #enqueue} so the wake-up READ ({@link RingWakeup}) can always be re-armed.
 *
 * <p>Shutdown: see {@link RingShutdown}.
 */
public final class IoUringRing implements CompletionRing {
    /** SQEs {@link #enqueue} leaves free for the eventfd re-arm. */
    private static final int RESERVED_SQES = 1;
    private static final long SYNC_CANCEL_TIMEOUT_NANOS = 1_000_000_000L;

    private final IoUringBackend backend;
    private final int carrierIndex;
    private final Arena arena;
    private final RingMapping mapping;
    private final SubmissionQueue sq;
    private final CompletionQueue cq;
    private final InFlightTable table;
    private final BounceBufferPool bounce;
    private final RequestCodec codec;
    private final MemorySegment callState;
    private final RingEnter enter;
    private final RingWakeup wakeup;
    private final RingReaper reaper;
    private final boolean syncCancel;
    private final boolean bufferRings;
    /** The provided buffers, once {@link #provideBuffers} registered them; owner only. */
    private ProvidedBufferRing provided;
    /** Enabled and its wake-up armed; the owner's. */
    private boolean started;
    /** The thread that started the ring (diagnostics). */
    private volatile Thread starter;

    private IoUringRing(IoUringBackend backend, int carrierIndex, IoUringConfig config, RingMapping mapping,
                        Arena arena, int eventFd, IoUringFeatures features) {
        this.backend = backend;
        this.carrierIndex = carrierIndex;
        this.mapping = mapping;
        this.arena = arena;
        this.syncCancel = features.enabled(IoUringFeature.SYNC_CANCEL);
        this.bufferRings = features.enabled(IoUringFeature.PBUF_RING);
        this.callState = Libc.allocateCallState(arena);
        this.sq = new SubmissionQueue(mapping);
        this.cq = new CompletionQueue(mapping);
        this.table = new InFlightTable(config.initialSlots());
        this.bounce = new BounceBufferPool(arena, config.bounceBufferSize(), config.initialBounceBuffers());
        this.codec = new RequestCodec(sq, table, bounce, backend.socketFamily(), backend.descriptorCounter(), arena);
        this.codec.features(features);
        this.enter = new RingEnter(carrierIndex, mapping.fd, callState, arena);
        this.wakeup = new RingWakeup(eventFd, arena);
        this.reaper = new RingReaper(carrierIndex, sq, cq, table, codec, enter, wakeup, callState);
    }

    /** Sets up the kernel ring with {@code setupFlags}, its eventfd and its memory; {@link #start()} enables it. */
    static IoUringRing open(IoUringBackend backend, int carrierIndex, IoUringConfig config, int setupFlags,
                            IoUringFeatures features) throws RingMapping.SetupException {
        RingMapping mapping = RingMapping.open(config.sqEntries(), config.cqEntries(), setupFlags);
        if (!mapping.hasFeature(IORING_FEAT_NODROP)) {
            try (Arena temp = Arena.ofConfined()) {
                mapping.close(Libc.allocateCallState(temp));
            }
            // Without NODROP a full CQ loses completions, and every request must complete exactly once.
            throw new RingMapping.SetupException("io_uring_setup (no IORING_FEAT_NODROP: Linux 5.5 or later needed)",
                    Errno.EINVAL);
        }
        Arena arena = Arena.ofShared();
        int eventFd = -1;
        try {
            eventFd = Libc.eventfd(Libc.allocateCallState(arena), 0, LinuxConstants.EFD_CLOEXEC);
            if (eventFd < 0) {
                throw new RingMapping.SetupException("eventfd", -eventFd);
            }
            return new IoUringRing(backend, carrierIndex, config, mapping, arena, eventFd, features);
        } catch (RingMapping.SetupException | RuntimeException e) {
            try (Arena temp = Arena.ofConfined()) {
                MemorySegment state = Libc.allocateCallState(temp);
                if (eventFd >= 0) {
                    Libc.close(state, eventFd);
                }
                mapping.close(state);
            }
            arena.close();
            throw e;
        }
    }

    /**
     * {@inheritDoc} Enables the ring on the calling thread (IORING_REGISTER_ENABLE_RINGS, which
     * binds a SINGLE_ISSUER ring to it) and arms the wake-up read. Idempotent.
     *
     * @throws java.io.UncheckedIOException wrapping an {@link dev.fibril.aio.ErrnoException} if the kernel refuses
     */
    @Override
    public void start() {
        if (started || wakeup.isClosed()) {
            return;
        }
        if ((mapping.setupFlags & IORING_SETUP_R_DISABLED) != 0) {
            int r = IoUringSyscalls.register(callState, mapping.fd, IORING_REGISTER_ENABLE_RINGS, 0, 0);
            if (r < 0) {
                throw new java.io.UncheckedIOException(new dev.fibril.aio.ErrnoException("io_uring_register(ENABLE_RINGS)", -r));
            }
        }
        started = true;
        starter = Thread.currentThread();
        wakeup.arm(sq);
        enter.submit(sq.publish());
    }

    /**
     * {@inheritDoc} Registers them as a provided buffer ring (IORING_REGISTER_PBUF_RING), on the
     * owner's thread, as a SINGLE_ISSUER ring requires. False where pbuf_ring is off, or the
     * kernel refuses (logged once per ring).
     *
     * @throws IllegalStateException if buffers were provided already
     * @throws IllegalArgumentException if the buffers are not direct, of one capacity, a power-of-two count
     */
    @Override
    public boolean provideBuffers(java.nio.ByteBuffer[] buffers) {
        if (provided != null) {
            throw new IllegalStateException("ring " + carrierIndex + " has its provided buffers already");
        }
        if (!bufferRings || wakeup.isClosed()) {
            return false;
        }
        if (!started) {
            start();
        }
        try {
            provided = ProvidedBufferRing.register(mapping.fd, callState, buffers);
        } catch (RingMapping.SetupException e) {
            System.getLogger("dev.fibril").log(System.Logger.Level.WARNING, "io_uring ring " + carrierIndex
                    + ": " + e.getMessage() + "; receives fill buffers of the runtime's own instead");
            return false;
        }
        codec.provided(provided);
        return true;
    }

    /** {@inheritDoc} One tail store; no system call. */
    @Override
    public void recycleBuffer(int id) {
        if (provided == null) {
            throw new IllegalStateException("ring " + carrierIndex + " has no provided buffers");
        }
        provided.recycle(id);
    }

    /**
     * Registers {@code fds} as this ring's fixed files (IORING_REGISTER_FILES), once per ring:
     * a request with {@link IoRequest#FLAG_FIXED_FILE} then names a file by its index in
     * {@code fds}. The table holds a reference to each file until the ring closes, so closing one
     * of the fds does not close its file meanwhile. For measurements; the runtime does not call it.
     *
     * @return 0, or -errno (EBUSY: files are registered already)
     * @throws IllegalStateException if the ring is closed
     */
    public int registerFiles(int... fds) {
        if (wakeup.isClosed()) {
            throw new IllegalStateException("ring " + carrierIndex + " is closed");
        }
        if (fds.length == 0) {
            return -Errno.EINVAL;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment table = call.allocateFrom(JAVA_INT, fds);
            return IoUringSyscalls.register(callState, mapping.fd, IORING_REGISTER_FILES, table.address(), fds.length);
        }
    }

    /**
     * {@inheritDoc} Never fails for a bad request: that completes with -errno through {@link #reap}.
     *
     * @throws IllegalStateException if the ring is closed
     */
    @Override
    public boolean enqueue(IoRequest request) {
        if (wakeup.isClosed()) {
            throw new IllegalStateException("ring " + carrierIndex + " is closed");
        }
        if (!started) {
            start();
        }
        if (sq.free() <= RESERVED_SQES) {
            return false;
        }
        int slot = table.acquire(request);
        try {
            codec.encode(slot, request);
        } catch (RuntimeException e) {
            table.release(slot); // encode claims no SQE and holds no bounce buffer when it throws
            throw e;
        }
        return true;
    }

    /**
     * {@inheritDoc} One io_uring_enter when anything is pending, none otherwise. The count may
     * include the ring's own eventfd read when it is re-armed with this flush.
     */
    @Override
    public int flush() {
        if (wakeup.isClosed() || !started || sq.unsubmitted() == 0) {
            return 0;
        }
        if (!wakeup.armed && !sq.chainOpen() && sq.free() > 0) {
            wakeup.arm(sq); // free ride on a call we make anyway
        }
        return Math.max(enter.submit(sq.publish()), 0);
    }

    @Override
    public int reap(CompletionSink sink, int max) {
        if (wakeup.isClosed() || max <= 0) {
            return 0;
        }
        int delivered = 0;
        while (delivered < max && table.hasLocal()) {
            int slot = table.pollLocal();
            IoRequest request = table.request(slot);
            int result = table.result(slot);
            table.release(slot);
            delivered++;
            sink.onCompletion(request, result);
        }
        if (!started) {
            return delivered;
        }
        return delivered < max ? delivered + reaper.reap(sink, max - delivered, false) : delivered;
    }

    /**
     * {@inheritDoc} Also submits whatever is enqueued. Returns without a kernel call when a
     * completion is already there or a wake-up is pending. May return early on a signal (EINTR);
     * callers loop anyway.
     */
    @Override
    public void await(long timeoutNanos) {
        if (wakeup.isClosed()) {
            return;
        }
        if (!started) {
            start();
        }
        if (wakeup.takePending()) {
            return; // a wake-up came before this wait
        }
        if (table.hasLocal() || !cq.isEmpty() || timeoutNanos == 0) {
            return;
        }
        ensureWakeupArmed();
        enter.submitAndWait(sq.publish(), timeoutNanos);
        wakeup.answered();
    }

    /** Makes sure the eventfd READ is in the SQ or the kernel before a blocking wait. */
    private void ensureWakeupArmed() {
        if (wakeup.armed) {
            return;
        }
        if (sq.chainOpen() || sq.free() == 0) {
            // Submit the user's SQEs on their own first, so the read cannot join an open link chain.
            enter.submit(sq.publish());
        }
        if (sq.free() > 0) {
            wakeup.arm(sq);
        }
    }

    @Override
    public void wakeup() {
        wakeup.wakeup();
    }

    @Override
    public int inFlight() {
        return table.live();
    }

    @Override
    public long kernelCalls() {
        return enter.kernelCalls;
    }

    /** io_uring_enter calls that failed with something other than EINTR or ETIME. */
    @Override
    public long kernelCallErrors() {
        return enter.errors;
    }

    /** The submission queue's size, as the kernel set it up. */
    public int sqEntries() {
        return mapping.sqEntries;
    }

    /** The completion queue's size, as the kernel set it up. */
    public int cqEntries() {
        return mapping.cqEntries;
    }

    /** The io_uring_setup flags this ring was created with (IORING_SETUP_*). */
    public int setupFlags() {
        return mapping.setupFlags;
    }

    /** The thread that enabled this ring, or null before {@link #start()}. */
    public Thread starter() {
        return starter;
    }

    /** Whether this kernel supports {@code op} ({@link Op} values). */
    public boolean supports(int op) {
        return backend.supports(op);
    }

    /** CQEs that named no request in flight (none are expected; a nonzero count is a bug). */
    public long staleCompletions() {
        return reaper.staleCompletions;
    }

    /** Completions whose decoding threw; each was still delivered (with EIO). */
    public long decodeFailures() {
        return reaper.decodeFailures;
    }

    /** GETEVENTS enters made to move completions the kernel held back (CQ overflow, task work) into the CQ. */
    public long overflowFlushes() {
        return reaper.overflowFlushes;
    }

    @Override
    public long completionOverflows() {
        return reaper.cqOverflows;
    }

    /** Bounce buffers taken and not given back (a SEND_ZC's until its notification), and releases so far. */
    public int bounceBuffersInUse() {
        return bounce.inUse();
    }

    public long bounceBufferReleases() {
        return bounce.releases();
    }

    /** The ioprio of the SQE written last (for tests of the per-opcode flags). */
    short lastIoprio() {
        return sq.lastIoprio();
    }

    /** SENDs that went as SEND_ZC, and the notifications reaped for them. */
    public long zeroCopySends() {
        return codec.zeroCopySends;
    }

    public long zeroCopyNotifications() {
        return codec.zeroCopyNotifications;
    }

    /** Native bounce buffers allocated so far, for heap-buffer requests. */
    public int bounceBuffers() {
        return bounce.allocated();
    }

    /**
     * Cancels every request on {@code fd} in this ring, synchronously (IORING_REGISTER_SYNC_CANCEL,
     * Linux 6.0), waiting at most a second. They complete with -ECANCELED through the owner's
     * reap. Any thread; a SINGLE_ISSUER ring answers any thread but its own with -EEXIST. Returns
     * the number cancelled, 0, or -errno (-ENOENT when none matched, -EINVAL where the kernel or
     * a property has no synchronous cancel).
     */
    int cancelFd(int fd) {
        if (!syncCancel) {
            return -Errno.EINVAL;
        }
        if (!wakeup.enterForeign()) {
            return 0;
        }
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(temp);
            MemorySegment reg = temp.allocate(EnterArgLayout.SYNC_CANCEL_REG);
            reg.set(JAVA_INT, EnterArgLayout.SYNC_CANCEL_FD_OFFSET, fd);
            reg.set(JAVA_INT, EnterArgLayout.SYNC_CANCEL_FLAGS_OFFSET, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL);
            TimespecLayout.setNanos(reg, EnterArgLayout.SYNC_CANCEL_TIMEOUT_OFFSET, SYNC_CANCEL_TIMEOUT_NANOS);
            return IoUringSyscalls.register(state, mapping.fd, IORING_REGISTER_SYNC_CANCEL, reg.address(), 1);
        } finally {
            wakeup.exitForeign();
        }
    }

    @Override
    public void close() {
        if (wakeup.isClosed()) {
            return;
        }
        boolean drained = RingShutdown.close(this, started, mapping, wakeup, sq, table, reaper, enter, arena, bounce, callState);
        if (drained && provided != null) {
            provided.free();
        }
        backend.onRingClosed(this);
    }
}
