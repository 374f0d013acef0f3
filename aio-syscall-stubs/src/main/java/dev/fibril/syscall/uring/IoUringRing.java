package dev.fibril.syscall.uring;

import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.Libc;
import dev.fibril.syscall.linux.LinuxConstants;
import dev.fibril.syscall.linux.TimespecLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import static dev.fibril.syscall.uring.IoUringConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A {@link CompletionRing} on one io_uring instance, for one carrier.
 *
 * <p>Threads: the owner (the carrier) calls everything except {@link #wakeup()}, which any thread
 * may call, and {@link #cancelFd}, which the backend calls from any thread. The owner's state (SQ
 * tail, CQ head, the in-flight table, the bounce buffers) is plain fields; only the wake-up flag,
 * the closed flag and the count of foreign callers are shared.
 *
 * <p>Submission: {@link #enqueue} writes an SQE ({@link RequestCodec} maps the fields) whose
 * user_data is the token of a slot ({@link InFlightTable}); {@link #flush} publishes the SQ tail
 * and submits with one io_uring_enter. Completion: {@link #reap} reads the CQ tail once, hands
 * each CQE's request (its slot's; a stale generation finds none) to the sink, and publishes the
 * new head once. Requests the ring fails by itself (bad buffer region) complete there too, first.
 *
 * <p>Wake-up: the ring keeps one READ of an eventfd in the kernel, with the reserved user_data
 * {@link #WAKEUP_USER_DATA}; its CQE is consumed here and never reaches a sink. {@link #wakeup()}
 * sets a flag and, if it was clear, writes the eventfd, which completes that READ and so ends a
 * blocked io_uring_enter. {@link #await} clears the flag on entry (returning at once if it was
 * set: a wake-up before the wait) and on exit (the wait that is returning answers every wake-up
 * until then). The READ is re-armed before the next blocking wait, or piggybacks on a flush.
 * One SQE is held back from {@link #enqueue} so the re-arm always fits. The flag and whether the
 * READ is armed are {@link RingWakeup}'s, which argues why no wake-up is lost.
 *
 * <p>Shutdown: {@link #close()} is meant for a ring with nothing in flight (the runtime cancels and
 * reaps first). Whatever is still in flight then is cancelled (IORING_ASYNC_CANCEL_ANY) and
 * reaped without being delivered, for up to {@link #CLOSE_DRAIN_NANOS}; if the kernel still holds
 * requests after that, the ring's native memory is leaked on purpose rather than freed under a
 * request the kernel may still complete into. Direct buffers of abandoned requests are no longer
 * kept reachable by the ring.
 */
public final class IoUringRing implements CompletionRing {
    /** user_data of the ring's own eventfd READ. Slot user_data is never negative. */
    static final long WAKEUP_USER_DATA = -1L;
    /** user_data of the cancel-everything request that close() sends. */
    static final long CANCEL_ALL_USER_DATA = -2L;
    static final long CLOSE_DRAIN_NANOS = 2_000_000_000L;
    /** SQEs {@link #enqueue} leaves free for the eventfd re-arm. */
    private static final int RESERVED_SQES = 1;
    private static final long SYNC_CANCEL_TIMEOUT_NANOS = 1_000_000_000L;
    private static final CompletionSink DISCARD = (request, result) -> { };

    /** Rings closed with requests still in the kernel; never emptied (see {@link #close()}). */
    private static final java.util.Queue<IoUringRing> LEAKED = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final VarHandle FOREIGN_CALLERS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            FOREIGN_CALLERS = lookup.findVarHandle(IoUringRing.class, "foreignCallers", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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
    /** io_uring_getevents_arg followed by the timespec it points at. */
    private final MemorySegment waitArg;
    /** Where the eventfd READ puts the counter; the ring never looks at it. */
    private final MemorySegment wakeupValue;
    private final int eventFd;

    /** io_uring_enter calls; written by the owner only, so a foreign reader may see a slightly old count. */
    private long kernelCalls;
    private long staleCompletions;
    private long enterErrors;
    private long decodeFailures;
    /** One bit per errno already logged (bit 63: any errno of 63 and up). */
    private long loggedEnterErrors;
    /** EBADR: io_uring_enter reports that the kernel had to drop a CQE (no IORING_FEAT_NODROP room). */
    private static final int EBADR = 53;
    /** The wake-up flag and whether the eventfd READ is armed (see {@link RingWakeup}). */
    private final RingWakeup wake = new RingWakeup();
    private volatile boolean closed;
    @SuppressWarnings("unused") // through FOREIGN_CALLERS
    private volatile int foreignCallers;

    private IoUringRing(IoUringBackend backend, int carrierIndex, IoUringConfig config, RingMapping mapping,
                        Arena arena, int eventFd) {
        this.backend = backend;
        this.carrierIndex = carrierIndex;
        this.mapping = mapping;
        this.arena = arena;
        this.eventFd = eventFd;
        this.callState = Libc.allocateCallState(arena);
        this.waitArg = arena.allocate(EnterArgLayout.GETEVENTS_SIZE + TimespecLayout.SIZE, Long.BYTES);
        this.waitArg.set(JAVA_LONG, EnterArgLayout.GETEVENTS_TS_OFFSET, waitArg.address() + EnterArgLayout.GETEVENTS_SIZE);
        this.wakeupValue = arena.allocate(Long.BYTES, Long.BYTES);
        this.sq = new SubmissionQueue(mapping);
        this.cq = new CompletionQueue(mapping);
        this.table = new InFlightTable(arena, config.initialSlots());
        this.bounce = new BounceBufferPool(arena, config.bounceBufferSize(), config.initialBounceBuffers());
        this.codec = new RequestCodec(sq, table, bounce, backend.socketFamily(), backend.descriptorCounter());
    }

    /** Sets up the kernel ring, its eventfd and its memory, and arms the wake-up read. */
    static IoUringRing open(IoUringBackend backend, int carrierIndex, IoUringConfig config)
            throws RingMapping.SetupException {
        RingMapping mapping = RingMapping.open(config.sqEntries(), config.cqEntries());
        Arena arena = Arena.ofShared();
        int eventFd = -1;
        try {
            eventFd = Libc.eventfd(Libc.allocateCallState(arena), 0, LinuxConstants.EFD_CLOEXEC);
            if (eventFd < 0) {
                throw new RingMapping.SetupException("eventfd", -eventFd);
            }
            IoUringRing ring = new IoUringRing(backend, carrierIndex, config, mapping, arena, eventFd);
            ring.ensureWakeupArmed();
            ring.enter(ring.sq.publish(), 0, 0, 0, 0);
            return ring;
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
     * {@inheritDoc} Never fails for a bad request: that completes with -errno through {@link #reap}.
     *
     * @throws IllegalStateException if the ring is closed
     */
    @Override
    public boolean enqueue(IoRequest request) {
        if (closed) {
            throw new IllegalStateException("ring " + carrierIndex + " is closed");
        }
        if (sq.free() <= RESERVED_SQES) {
            return false;
        }
        int slot = table.acquire(request);
        codec.encode(slot, request);
        return true;
    }

    /**
     * {@inheritDoc} One io_uring_enter when anything is pending, none otherwise. The count may
     * include the ring's own eventfd read when it is re-armed with this flush.
     */
    @Override
    public int flush() {
        if (closed || sq.unsubmitted() == 0) {
            return 0;
        }
        if (!wake.armed() && !sq.chainOpen() && sq.free() > 0) {
            armWakeup(); // free ride on a call we make anyway
        }
        int submitted = enter(sq.publish(), 0, 0, 0, 0);
        return Math.max(submitted, 0);
    }

    @Override
    public int reap(CompletionSink sink, int max) {
        if (closed || max <= 0) {
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
        return delivered < max ? delivered + reapKernel(sink, max - delivered) : delivered;
    }

    private int reapKernel(CompletionSink sink, int max) {
        int head = cq.head();
        int tail = cq.lvTail();
        if (head == tail && (sq.lvFlags() & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0) {
            // Completions wait in the kernel (overflow list, or task work under COOP_TASKRUN):
            // only a GETEVENTS enter moves them into the CQ.
            enter(0, 0, IORING_ENTER_GETEVENTS, 0, 0);
            tail = cq.lvTail();
        }
        int delivered = 0;
        try {
            while (head != tail && delivered < max) {
                long sqeUserData = cq.userData(head);
                int res = cq.res(head);
                head++;
                if (sqeUserData < 0) {
                    onInternalCompletion(sqeUserData);
                    continue;
                }
                int slot = table.slotOf(sqeUserData);
                if (slot < 0) {
                    staleCompletions++;
                    continue;
                }
                // Published before the sink runs: a sink may submit, and a submission that finds
                // the SQ full reaps again, which must start after this CQE, not at it.
                cq.soHead(head);
                IoRequest request = table.request(slot);
                int result;
                try {
                    result = codec.decode(slot, res);
                    if (closed) {
                        codec.abandon(slot, result, callState); // draining for close: nobody will get it
                    }
                } catch (RuntimeException e) {
                    // The CQE is consumed either way: its request must still complete, exactly once.
                    decodeFailures++;
                    System.getLogger("dev.fibril").log(System.Logger.Level.ERROR,
                            "io_uring ring " + carrierIndex + ": decoding a completion failed; it completes with EIO", e);
                    result = res < 0 ? res : -dev.fibril.aio.Errno.EIO;
                } finally {
                    table.release(slot);
                }
                delivered++;
                sink.onCompletion(request, result);
            }
        } finally {
            // Also when the sink throws: the CQEs before it were delivered and must not come again.
            cq.soHead(head);
        }
        return delivered;
    }

    private void onInternalCompletion(long sqeUserData) {
        if (sqeUserData == WAKEUP_USER_DATA) {
            wake.onCompletion(); // re-armed before the next blocking wait
        }
    }

    /**
     * {@inheritDoc} Also submits whatever is enqueued. Returns without a kernel call when a
     * completion is already there or a wake-up is pending. May return early on a signal (EINTR);
     * callers loop anyway.
     */
    @Override
    public void await(long timeoutNanos) {
        if (closed) {
            return;
        }
        if (wake.takePending()) {
            return; // a wake-up came before this wait
        }
        if (table.hasLocal() || !cq.isEmpty() || timeoutNanos == 0) {
            return;
        }
        waitForCompletion(timeoutNanos);
        wake.answered(); // this return answers every wake-up so far
    }

    /** One io_uring_enter that submits what is pending and waits for one CQE, the timeout, or a signal. */
    private void waitForCompletion(long timeoutNanos) {
        ensureWakeupArmed();
        int toSubmit = sq.publish();
        if (timeoutNanos < 0) {
            enter(toSubmit, 1, IORING_ENTER_GETEVENTS, 0, 0);
        } else {
            TimespecLayout.setNanos(waitArg, EnterArgLayout.GETEVENTS_SIZE, timeoutNanos);
            enter(toSubmit, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                    waitArg.address(), EnterArgLayout.GETEVENTS_SIZE);
        }
    }

    @Override
    public void wakeup() {
        if (!wake.signal()) {
            return; // signalled already, and the owner has not returned from a wait since
        }
        FOREIGN_CALLERS.getAndAdd(this, 1);
        try {
            // closed is checked inside the foreign-caller section: close() waits for it to empty
            // before closing the eventfd, so its number cannot be reused under this write.
            if (!closed) {
                Libc.eventfdWrite(eventFd, 1L);
            }
        } finally {
            FOREIGN_CALLERS.getAndAdd(this, -1);
        }
    }

    @Override
    public int inFlight() {
        return table.live();
    }

    @Override
    public long kernelCalls() {
        return kernelCalls;
    }

    /** The submission queue's size, as the kernel set it up. */
    public int sqEntries() {
        return mapping.sqEntries;
    }

    /** The completion queue's size, as the kernel set it up. */
    public int cqEntries() {
        return mapping.cqEntries;
    }

    /** Whether this kernel supports {@code op} ({@link Op} values). */
    public boolean supports(int op) {
        return backend.supports(op);
    }

    /** CQEs that named no request in flight (none are expected; a nonzero count is a bug). */
    public long staleCompletions() {
        return staleCompletions;
    }

    /** Native bounce buffers allocated so far, for heap-buffer requests. */
    public int bounceBuffers() {
        return bounce.allocated();
    }

    /**
     * Cancels every request on {@code fd} in this ring, synchronously (IORING_REGISTER_SYNC_CANCEL,
     * Linux 6.0), waiting at most a second. They complete with -ECANCELED through the owner's
     * reap. Any thread. Returns the number cancelled, 0, or -errno (-ENOENT when none matched).
     */
    int cancelFd(int fd) {
        FOREIGN_CALLERS.getAndAdd(this, 1);
        try (Arena temp = Arena.ofConfined()) {
            if (closed) {
                return 0;
            }
            MemorySegment state = Libc.allocateCallState(temp);
            MemorySegment reg = temp.allocate(EnterArgLayout.SYNC_CANCEL_REG);
            reg.set(JAVA_INT, EnterArgLayout.SYNC_CANCEL_FD_OFFSET, fd);
            reg.set(JAVA_INT, EnterArgLayout.SYNC_CANCEL_FLAGS_OFFSET, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL);
            TimespecLayout.setNanos(reg, EnterArgLayout.SYNC_CANCEL_TIMEOUT_OFFSET, SYNC_CANCEL_TIMEOUT_NANOS);
            return IoUringSyscalls.register(state, mapping.fd, IORING_REGISTER_SYNC_CANCEL, reg.address(), 1);
        } finally {
            FOREIGN_CALLERS.getAndAdd(this, -1);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        while ((int) FOREIGN_CALLERS.getVolatile(this) != 0) {
            Thread.onSpinWait(); // a waker's eventfd write or a cross-thread cancel; both are short
        }
        boolean drained = drain();
        mapping.close(callState);
        Libc.close(callState, eventFd);
        backend.onRingClosed(this);
        if (drained) {
            arena.close();
        } else {
            // The kernel may still complete into this ring's buffers, the bounce buffers of a
            // burst included (automatic arenas, freed once unreachable): keep them reachable.
            LEAKED.add(this);
        }
    }

    /** Cancels all that is in the kernel and reaps it undelivered; true when nothing is left there. */
    private boolean drain() {
        while (table.hasLocal()) {
            table.release(table.pollLocal());
        }
        if (table.live() == 0 && !wake.armed()) {
            return true;
        }
        enter(sq.publish(), 0, 0, 0, 0); // whatever was enqueued goes in first, so the cancel sees it
        sq.claim(Op.ASYNC_CANCEL, -1, CANCEL_ALL_USER_DATA).opFlags(IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
        enter(sq.publish(), 0, 0, 0, 0);
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        while (table.live() > 0 || wake.armed()) {
            reapKernel(DISCARD, Integer.MAX_VALUE);
            long left = deadline - System.nanoTime();
            if ((table.live() == 0 && !wake.armed()) || left <= 0) {
                break;
            }
            TimespecLayout.setNanos(waitArg, EnterArgLayout.GETEVENTS_SIZE, left);
            enter(0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, waitArg.address(), EnterArgLayout.GETEVENTS_SIZE);
        }
        return table.live() == 0 && !wake.armed();
    }

    /** Makes sure the eventfd READ is in the SQ or the kernel before a blocking wait. */
    private void ensureWakeupArmed() {
        if (wake.armed()) {
            return;
        }
        if (sq.chainOpen() || sq.free() == 0) {
            // Submit the user's SQEs on their own first, so the read cannot join an open link chain.
            enter(sq.publish(), 0, 0, 0, 0);
        }
        if (sq.free() > 0) {
            armWakeup();
        }
    }

    private void armWakeup() {
        sq.claim(IORING_OP_READ, eventFd, WAKEUP_USER_DATA).addr(wakeupValue.address()).len(Long.BYTES);
        wake.onArmed();
    }

    /**
     * io_uring_enter, counted. Returns the SQEs consumed or -errno. EINTR and ETIME (a wait ended
     * by a signal or its timeout) are ordinary; any other error (EBUSY or EAGAIN: the kernel took
     * nothing, for want of CQ room or memory; EBADR: a completion was dropped) is counted, and
     * logged the first time each errno is seen, since the caller can only go on or reap.
     */
    private int enter(int toSubmit, int minComplete, int flags, long arg, long argSize) {
        kernelCalls++;
        int r = IoUringSyscalls.enter(callState, mapping.fd, toSubmit, minComplete, flags, arg, argSize);
        if (r < 0 && r != -dev.fibril.aio.Errno.EINTR && r != -dev.fibril.aio.Errno.ETIME) {
            onEnterError(-r);
        }
        return r;
    }

    private void onEnterError(int errno) {
        enterErrors++;
        long bit = errno < 64 ? 1L << errno : 1L << 63;
        if ((loggedEnterErrors & bit) == 0) {
            loggedEnterErrors |= bit;
            System.getLogger("dev.fibril").log(errno == EBADR ? System.Logger.Level.ERROR : System.Logger.Level.WARNING,
                    "io_uring ring " + carrierIndex + ": io_uring_enter failed with " + dev.fibril.aio.Errno.name(errno)
                            + (errno == EBADR ? " (the kernel dropped a completion)" : "; the carrier reaps and tries again")
                            + "; further failures are counted, not logged");
        }
    }

    /** io_uring_enter calls that failed with something other than EINTR or ETIME. */
    @Override
    public long kernelCallErrors() {
        return enterErrors;
    }

    /** Completions whose decoding threw; each was still delivered (with EIO). */
    public long decodeFailures() {
        return decodeFailures;
    }
}
