/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio.spi;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One request as a backend sees it: the fields of an io_uring SQE, in Java types. The runtime
 * fills it, hands it to {@link CompletionRing#enqueue}, and does not touch it (nor its buffer)
 * again until the ring has handed this same object back to {@link CompletionSink#onCompletion}.
 * The object is the request's one identity across the interface: a backend keeps the reference
 * until the completion, and only until then, and tells stale completions from live ones itself
 * (by its own slot generation, see {@link #ringToken()}).
 *
 * <p>The buffer region the kernel reads or writes is {@code buffer[position, position + length)};
 * the backend never moves the buffer's position or limit.
 */
public class IoRequest {
    /**
     * {@code IOSQE_IO_LINK}: the next request starts only after this one succeeds in full
     * ({@code res >= 0}, and the whole length for READ/WRITE/SEND/RECV/SPLICE); otherwise the next
     * completes with -ECANCELED. A chain must be enqueued within one flush.
     */
    public static final int FLAG_LINK = 1 << 2;

    /**
     * {@code IOSQE_FIXED_FILE}, for READ, WRITE, RECV, SEND and POLL_ADD on an io_uring ring: the
     * request's fd is an index into the files registered with that ring
     * ({@code IoUringRing.registerFiles}), so the kernel skips its file-table lookup. The other
     * rings, and other operations, fail the request with {@code -EINVAL}. The runtime's channels do
     * not use it (README: registered files, for the measurement behind that).
     */
    public static final int FLAG_FIXED_FILE = 1 << 0;

    /**
     * {@code IOSQE_BUFFER_SELECT}, for a RECV with no buffer ({@code buffer} null, {@code length}
     * the most bytes to take): the ring picks one of the buffers given to
     * {@link CompletionRing#provideBuffers} when data arrives, so the request holds no buffer while
     * it waits. The completion names it in {@link #selectedBuffer()}; {@code -ENOBUFS} when none
     * was free. A ring that has no provided buffers fails the request with {@code -EINVAL}.
     */
    public static final int FLAG_BUFFER_SELECT = 1 << 5;

    /**
     * {@link #opFlags()} of a SEND: try once and complete with {@code -EAGAIN} when the socket's
     * send buffer is full, instead of waiting for room (Linux's {@code MSG_DONTWAIT}). The runtime
     * delivers that EAGAIN to the caller rather than resubmitting the request.
     */
    public static final int SEND_DONTWAIT = 0x40;

    /**
     * {@link #opFlags()} of an ACCEPT: one submission accepts every connection until the ring ends
     * it (io_uring's {@code IORING_ACCEPT_MULTISHOT}, Linux 5.19), only where
     * {@link Backend#acceptsMultishot()}. Each accepted fd comes as a completion with
     * {@link #more()} true, and the request stays in flight; the last completion has {@code more()}
     * false (an error, {@code -ECANCELED} after a cancel, or an fd with which the kernel ended it).
     * A ring without it fails the request with {@code -EINVAL}.
     */
    public static final int ACCEPT_MULTISHOT = 1;

    /**
     * {@link #opFlags()} of a RECV whose caller has just read all there was (an armed receive, or a
     * read after one that did not fill its buffer), so the receive will most likely wait: the ring
     * arms readiness at once instead of first
     * trying a receive that finds nothing (io_uring's {@code IORING_RECVSEND_POLL_FIRST}, Linux 5.19,
     * where the ring has {@code recv_poll_first}). Elsewhere it changes nothing.
     */
    public static final int RECV_POLL_FIRST = 1;

    /**
     * {@link #opFlags()} of a {@link #FLAG_BUFFER_SELECT} RECV: it stays in flight and completes
     * each time bytes arrive, each completion with {@link #more()} true and a buffer of its own in
     * {@link #selectedBuffer()}, until the ring ends it (a last completion with {@code more()}
     * false: an error, end of stream, {@code -ENOBUFS}, {@code -ECANCELED} after a cancel, or bytes
     * with which the kernel ended it). io_uring's {@code IORING_RECV_MULTISHOT}, Linux 6.0, only
     * where {@link Backend#receivesMultishot()}; a ring without it fails the request with
     * {@code -EINVAL}, as it does a multishot RECV into a buffer of the caller's.
     */
    public static final int RECV_MULTISHOT = 2;

    /** {@link #opFlags()} of a SHUTDOWN: shutdown(2)'s {@code how} (include/linux/net.h). */
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /**
     * {@link #opFlags()} of a POLL_ADD and the bits of its result: poll(2)'s events
     * (include/uapi/asm-generic/poll.h). POLLERR and POLLHUP are reported unasked.
     */
    public static final int POLLIN = 0x1;
    public static final int POLLOUT = 0x4;
    public static final int POLLERR = 0x8;
    public static final int POLLHUP = 0x10;

    private byte opcode;
    private int fd;
    private ByteBuffer buffer;
    private int position;
    private int length;
    private long offset;
    private int flags;
    private int opFlags;
    private InetSocketAddress address;
    private IoRequest cancelTarget;
    private long ringToken;
    private int selectedBuffer = -1;
    private long size;
    private boolean more;

    /** Sets every field at once, so no field of an earlier use survives. */
    public final void prepare(byte opcode, int fd, ByteBuffer buffer, int position, int length, long offset) {
        this.opcode = opcode;
        this.fd = fd;
        this.buffer = buffer;
        this.position = position;
        this.length = length;
        this.offset = offset;
        this.flags = 0;
        this.opFlags = 0;
        this.address = null;
        this.cancelTarget = null;
        this.selectedBuffer = -1;
        this.size = 0;
        this.more = false;
    }

    /**
     * Sets every field for an ASYNC_CANCEL of {@code target}, a request enqueued on the same ring.
     * The ring looks {@code target} up by its {@link #ringToken()} when this cancel is enqueued, so
     * the cancel acts on the submission of {@code target} in flight then, and on no later one.
     */
    public final void prepareCancel(IoRequest target) {
        prepare(Op.ASYNC_CANCEL, -1, null, 0, 0, 0);
        this.cancelTarget = target;
    }

    /** Copies every SQE field but {@link #ringToken()} from {@code other}. */
    public final void copyFrom(IoRequest other) {
        this.opcode = other.opcode;
        this.fd = other.fd;
        this.buffer = other.buffer;
        this.position = other.position;
        this.length = other.length;
        this.offset = other.offset;
        this.flags = other.flags;
        this.opFlags = other.opFlags;
        this.address = other.address;
        this.cancelTarget = other.cancelTarget;
    }

    public final byte opcode() {
        return opcode;
    }

    public final int fd() {
        return fd;
    }

    /** The caller's buffer, or null for requests that carry no data. */
    public final ByteBuffer buffer() {
        return buffer;
    }

    /**
     * Replaces the buffer, keeping the region: for a view of the same memory that the backend's
     * threads may access (a confined arena's buffer is accessible to its owner thread only).
     */
    public final void buffer(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /** Where in {@link #buffer()} the data starts (absolute index). */
    public final int position() {
        return position;
    }

    /** How many bytes to transfer. */
    public final int length() {
        return length;
    }

    /** Sets {@link #buffer()}, {@link #position()} and {@link #length()} of a prepared request. */
    public final void buffer(ByteBuffer buffer, int position, int length) {
        this.buffer = buffer;
        this.position = position;
        this.length = length;
    }

    /**
     * The file offset for READ/WRITE (-1: the file's current position; not used by Fibril), the
     * timeout in nanoseconds for TIMEOUT and LINK_TIMEOUT, the input offset for SPLICE (-1 for a
     * pipe), the mode for OPENAT, and the new length for FTRUNCATE.
     */
    public final long offset() {
        return offset;
    }

    /** Sets {@link #offset()} of a prepared request. */
    public final void offset(long offset) {
        this.offset = offset;
    }

    /** SQE flags such as {@link #FLAG_LINK}. */
    public final int flags() {
        return flags;
    }

    public final void flags(int flags) {
        this.flags = flags;
    }

    /**
     * Per-operation value: {@code how} for SHUTDOWN ({@code SHUT_RD}=0, {@code SHUT_WR}=1,
     * {@code SHUT_RDWR}=2), {@code fsync_flags} for FSYNC (1 = data only), the output fd for
     * SPLICE (input is {@link #fd()}; output at its current position), the poll events for
     * POLL_ADD (its result is the ready subset), the open flags for OPENAT (path in the buffer,
     * UTF-8, no NUL; fd = AT_FDCWD, -100), {@link #SEND_DONTWAIT} or 0 for SEND. STATX (fd: the file
     * whose size {@link #size()} reports), FTRUNCATE (fd, offset = length), CLOSE (fd) and SOCKET (a
     * stream socket as {@link Backend#socket()} makes; fd -1) take none.
     */
    public final int opFlags() {
        return opFlags;
    }

    public final void opFlags(int opFlags) {
        this.opFlags = opFlags;
    }

    /** The peer address for CONNECT. */
    public final InetSocketAddress address() {
        return address;
    }

    public final void address(InetSocketAddress address) {
        this.address = address;
    }

    /** For ASYNC_CANCEL: the request to cancel (see {@link #prepareCancel}); null otherwise. */
    public final IoRequest cancelTarget() {
        return cancelTarget;
    }

    /**
     * The ring's own token for this request, meaningful only while the request is in flight there:
     * the ring writes it at {@link CompletionRing#enqueue} (typically its slot and the slot's
     * generation) and is its only reader, to find the slot of an ASYNC_CANCEL's target at once. A
     * token left from an earlier submission names a slot whose generation has moved on, or that
     * holds another request, so it finds nothing. The runtime neither sets nor reads it.
     */
    public final long ringToken() {
        return ringToken;
    }

    /** Written by the ring only, when it takes the request; see {@link #ringToken()}. */
    public final void ringToken(long token) {
        this.ringToken = token;
    }

    /**
     * The id of the provided buffer the ring picked for a {@link #FLAG_BUFFER_SELECT} RECV, set by
     * the ring before it hands the completion back; -1 when it picked none. The id is the buffer's
     * index in the array given to {@link CompletionRing#provideBuffers}; the buffer is the
     * runtime's until it calls {@link CompletionRing#recycleBuffer}.
     */
    public final int selectedBuffer() {
        return selectedBuffer;
    }

    /** Written by the ring only, on completion; see {@link #selectedBuffer()}. */
    public final void selectedBuffer(int id) {
        this.selectedBuffer = id;
    }

    /**
     * The file's size (stx_size) for a STATX that succeeded, set by the ring before it hands the
     * completion back: a CQE's result is an int, a size is not. 0 for every other request.
     */
    public final long size() {
        return size;
    }

    /** Written by the ring only, on completion; see {@link #size()}. */
    public final void size(long size) {
        this.size = size;
    }

    /**
     * Whether the completion being delivered is one of several: the request stays in flight and
     * completes again (an {@link #ACCEPT_MULTISHOT} ACCEPT, a {@link #RECV_MULTISHOT} RECV). Set by the ring before it hands each
     * completion back; false for the last one and for every single-shot request.
     */
    public final boolean more() {
        return more;
    }

    /** Written by the ring only, on completion; see {@link #more()}. */
    public final void more(boolean more) {
        this.more = more;
    }

    /** Drops the references to caller objects, so a pooled request does not keep them alive. */
    public final void clearReferences() {
        this.buffer = null;
        this.address = null;
        this.cancelTarget = null;
    }
}
