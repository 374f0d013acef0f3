/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.Libc;
import dev.fibril.syscall.linux.LinuxConstants;
import dev.fibril.syscall.linux.SockaddrLayout;
import dev.fibril.syscall.linux.StatxLayout;
import dev.fibril.syscall.linux.TimespecLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Turns an {@link IoRequest} into an SQE on enqueue ({@link #encode}) and a CQE back into the
 * result the sink gets on reap ({@link #decode}). Owner thread only; allocates nothing except
 * the address bytes of a CONNECT.
 *
 * <p>How the request's fields map, per opcode (buffer region = {@code buffer[position, position + length)}):
 * <pre>
 *  NOP           -
 *  READ, WRITE   fd, buffer region, offset = file offset (sockets: -1 or 0)
 *  RECV + FLAG_BUFFER_SELECT  fd, no buffer, length (clamped to the provided buffers' size):
 *                IOSQE_BUFFER_SELECT from group 0; the CQE's buffer id goes to selectedBuffer;
 *                opFlags = RECV_POLL_FIRST adds IORING_RECVSEND_POLL_FIRST (ioprio) where recv_poll_first is used;
 *                opFlags = RECV_MULTISHOT adds IORING_RECV_MULTISHOT (ioprio; -EINVAL where recv_multishot is not used):
 *                each CQE with F_MORE is one receive, with its own buffer id
 *                (also on a RECV into a buffer region)
 *  RECV, SEND    fd, buffer region (SEND adds MSG_NOSIGNAL: a closed peer gives -EPIPE, not SIGPIPE;
 *                opFlags = SEND_DONTWAIT adds MSG_DONTWAIT: a full socket gives -EAGAIN, not a wait)
 *  SEND, bounced, at least the zero-copy threshold: IORING_OP_SEND_ZC from the bounce buffer; the
 *                result CQE (F_MORE) is delivered, the buffer goes back on the notification (F_NOTIF)
 *  ACCEPT        fd, SOCK_CLOEXEC; opFlags = ACCEPT_MULTISHOT adds IORING_ACCEPT_MULTISHOT (ioprio)
 *  FSYNC         fd, opFlags = fsync flags (IORING_FSYNC_DATASYNC = 1)
 *  OPENAT        fd = dir fd (AT_FDCWD = -100), buffer region = path bytes (no NUL needed),
 *                opFlags = open flags (O_CLOEXEC is added), offset = mode
 *  CLOSE         fd
 *  STATX         fd: statx(fd, "", AT_EMPTY_PATH, STATX_SIZE) into a bounce buffer (the struct, then
 *                the empty path's NUL), held until the CQE; stx_size goes to the request's size()
 *  FTRUNCATE     fd, offset = length
 *  SOCKET        a stream socket of the backend's family, SOCK_CLOEXEC; an AF_INET6 one gets
 *                IPV6_V6ONLY off when it completes (a setsockopt, in memory, that never waits)
 *  ACCEPT        fd = listening socket; the new socket gets SOCK_CLOEXEC
 *  CONNECT       fd, address (copied into the slot's native scratch memory)
 *  POLL_ADD      fd, opFlags = poll events (POLLIN = 1, POLLOUT = 4), one shot
 *  TIMEOUT       offset = nanoseconds, relative; completes with -ETIME when it expires
 *  LINK_TIMEOUT  offset = nanoseconds; cancels the linked request before it (which needs FLAG_LINK)
 *  ASYNC_CANCEL  cancelTarget = the request to cancel, found by its ring token in the in-flight
 *                table; -ENOENT when it is not in the kernel (completed, or never enqueued here)
 *  SPLICE        fd = fd_in, offset = offset in fd_in (-1 for a pipe), opFlags = fd_out, length;
 *                always at fd_out's current position (fd_out is a pipe or a socket)
 *  SHUTDOWN      fd, opFlags = how (SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2)
 * </pre>
 * {@link IoRequest#FLAG_LINK} becomes IOSQE_IO_LINK. A direct buffer is used in place; a heap
 * buffer goes through a {@link BounceBufferPool} buffer, and the transfer is clamped to its size
 * (a short read or write, which callers handle anyway).
 *
 * <p>A request that cannot be valid fails without the kernel: a region outside the buffer, a
 * read into a read-only buffer or a null buffer with a length gives -EFAULT; an unknown opcode or
 * a negative timeout -EINVAL. Its result is queued locally and delivered by the next reap. Inside
 * a link chain a NOP with IORING_NOP_INJECT_RESULT stands in for it instead, so the kernel still
 * fails the chain's later requests with -ECANCELED; its CQE's res is replaced by the local errno.
 */
final class RequestCodec {
    private final SubmissionQueue sq;
    private final InFlightTable table;
    private final BounceBufferPool bounce;
    private final int socketFamily;
    private final AtomicInteger openDescriptors;
    /** The ring's call state and an int of native memory, for a new socket's setsockopt: allocated once. */
    private final MemorySegment callState;
    private final MemorySegment intValue;
    /** The ring's provided buffers, once given; null before. */
    private ProvidedBufferRing provided;
    /** The least length of a bounced SEND that goes as SEND_ZC; Integer.MAX_VALUE: none does. */
    private int zeroCopyThreshold = Integer.MAX_VALUE;
    private boolean multishotAccept;
    /** IORING_RECVSEND_POLL_FIRST where the ring uses it, else 0: the ioprio of a RECV_POLL_FIRST receive. */
    private int recvPollFirst;
    private boolean multishotRecv;
    /** SENDs submitted as SEND_ZC, and their notifications reaped. */
    long zeroCopySends;
    long zeroCopyNotifications;

    /** The direct buffer whose base address {@link #baseAddress} found last, and that address. */
    private ByteBuffer lastDirect;
    private long lastBase;

    RequestCodec(SubmissionQueue sq, InFlightTable table, BounceBufferPool bounce, int socketFamily,
                 AtomicInteger openDescriptors, Arena arena) {
        this.sq = sq;
        this.table = table;
        this.bounce = bounce;
        this.socketFamily = socketFamily;
        this.openDescriptors = openDescriptors;
        this.callState = Libc.allocateCallState(arena);
        this.intValue = arena.allocate(JAVA_INT);
    }

    void provided(ProvidedBufferRing provided) {
        this.provided = provided;
    }

    /** What of SEND_ZC, IORING_ACCEPT_MULTISHOT, IORING_RECVSEND_POLL_FIRST and IORING_RECV_MULTISHOT the ring's features allow. */
    void features(IoUringFeatures features) {
        zeroCopyThreshold = features.enabled(IoUringFeature.SEND_ZC) ? features.sendZcThreshold() : Integer.MAX_VALUE;
        multishotAccept = features.enabled(IoUringFeature.ACCEPT_MULTISHOT);
        recvPollFirst = features.enabled(IoUringFeature.RECV_POLL_FIRST) ? IoUringConstants.IORING_RECVSEND_POLL_FIRST : 0;
        multishotRecv = features.receivesMultishot();
    }

    /** Writes the SQE for {@code request} into slot {@code slot}, or fails the slot. Needs one free SQE. */
    void encode(int slot, IoRequest request) {
        int error = prepare(slot, request);
        if (error == 0) {
            sq.flags(((request.flags() & IoRequest.FLAG_LINK) != 0 ? IoUringConstants.IOSQE_IO_LINK : 0)
                    | ((request.flags() & IoRequest.FLAG_BUFFER_SELECT) != 0 ? IoUringConstants.IOSQE_BUFFER_SELECT : 0)
                    | ((request.flags() & IoRequest.FLAG_FIXED_FILE) != 0 ? IoUringConstants.IOSQE_FIXED_FILE : 0));
            return;
        }
        boolean linked = (request.flags() & IoRequest.FLAG_LINK) != 0;
        if (linked || sq.chainOpen()) {
            sq.claim(Op.NOP, -1, table.sqeUserData(slot))
                    .opFlags(IoUringConstants.IORING_NOP_INJECT_RESULT)
                    .len(error)
                    .flags(linked ? IoUringConstants.IOSQE_IO_LINK : 0);
            table.markForced(slot, error);
        } else {
            table.markLocal(slot, error);
        }
    }

    /** Claims and fills the SQE and marks the slot KERNEL; or returns -errno having claimed nothing. */
    private int prepare(int slot, IoRequest r) {
        byte op = r.opcode();
        if ((r.flags() & IoRequest.FLAG_FIXED_FILE) != 0
                && op != Op.READ && op != Op.WRITE && op != Op.RECV && op != Op.SEND && op != Op.POLL_ADD) {
            return -Errno.EINVAL; // the other operations' fds are not indexes into the registered files
        }
        long userData = table.sqeUserData(slot);
        MemorySegment scratch = table.scratchSegment(slot);
        long scratchOffset = table.scratchOffset(slot);
        switch (op) {
            case Op.NOP -> sq.claim(op, -1, userData);
            case Op.READ, Op.WRITE, Op.RECV, Op.SEND -> {
                return prepareTransfer(slot, r, userData);
            }
            case Op.OPENAT -> {
                return prepareOpenat(slot, r, userData);
            }
            case Op.FSYNC -> sq.claim(op, r.fd(), userData).opFlags(r.opFlags());
            case Op.CLOSE -> sq.claim(op, r.fd(), userData);
            case Op.ACCEPT -> {
                boolean multishot = (r.opFlags() & IoRequest.ACCEPT_MULTISHOT) != 0;
                if (multishot && !multishotAccept) {
                    return -Errno.EINVAL;
                }
                sq.claim(op, r.fd(), userData).opFlags(LinuxConstants.SOCK_CLOEXEC)
                        .ioprio(multishot ? IoUringConstants.IORING_ACCEPT_MULTISHOT : 0);
            }
            case Op.CONNECT -> {
                int length = SockaddrLayout.encode(r.address(), socketFamily, scratch, scratchOffset);
                if (length < 0) {
                    return length;
                }
                sq.claim(op, r.fd(), userData).addr(table.scratchAddress(slot)).off(length);
            }
            case Op.POLL_ADD -> sq.claim(op, r.fd(), userData).opFlags(r.opFlags());
            case Op.TIMEOUT, Op.LINK_TIMEOUT -> {
                if (r.offset() < 0) {
                    return -Errno.EINVAL;
                }
                TimespecLayout.setNanos(scratch, scratchOffset, r.offset());
                sq.claim(op, -1, userData).addr(table.scratchAddress(slot)).len(1);
            }
            case Op.ASYNC_CANCEL -> {
                int target = table.slotInKernel(r.cancelTarget());
                if (target < 0) {
                    return -Errno.ENOENT;
                }
                sq.claim(op, -1, userData).addr(table.sqeUserData(target));
            }
            case Op.SPLICE -> sq.claim(op, r.opFlags(), userData)
                    .spliceFdIn(r.fd()).addr(r.offset()).off(-1L).len(r.length());
            case Op.SHUTDOWN -> sq.claim(op, r.fd(), userData).len(r.opFlags());
            case Op.STATX -> {
                return prepareStatx(slot, r, userData);
            }
            case Op.FTRUNCATE -> {
                if (r.offset() < 0) {
                    return -Errno.EINVAL;
                }
                sq.claim(op, r.fd(), userData).off(r.offset());
            }
            case Op.SOCKET -> sq.claim(op, socketFamily, userData)
                    .off(LinuxConstants.SOCK_STREAM | LinuxConstants.SOCK_CLOEXEC).len(0);
            default -> {
                return -Errno.EINVAL;
            }
        }
        table.markKernel(slot, null, 0, -1);
        return 0;
    }

    private int prepareTransfer(int slot, IoRequest r, long userData) {
        byte op = r.opcode();
        if ((r.flags() & IoRequest.FLAG_BUFFER_SELECT) != 0) {
            if (op != Op.RECV || r.buffer() != null || provided == null || r.length() <= 0) {
                return -Errno.EINVAL;
            }
            boolean multishot = (r.opFlags() & IoRequest.RECV_MULTISHOT) != 0;
            if (multishot && !multishotRecv) {
                return -Errno.EINVAL;
            }
            // no address: the kernel picks a provided buffer when data arrives, clamped to its size;
            // a multishot one takes no length (before 6.x the kernel refuses one), each receive fills at most a buffer
            sq.claim(op, r.fd(), userData).len(multishot ? 0 : Math.min(r.length(), provided.bufferSize()))
                    .bufGroup(ProvidedBufferRing.GROUP)
                    .ioprio(recvIoprio(r) | (multishot ? IoUringConstants.IORING_RECV_MULTISHOT : 0));
            table.markKernel(slot, null, 0, -1);
            return 0;
        }
        if (op == Op.RECV && (r.opFlags() & IoRequest.RECV_MULTISHOT) != 0) {
            return -Errno.EINVAL; // the kernel has each of a multishot receive's results picked from the provided buffers
        }
        ByteBuffer buffer = r.buffer();
        int position = r.position();
        int length = r.length();
        boolean fillsBuffer = op == Op.READ || op == Op.RECV;
        long address = 0;
        int bounceIndex = -1;
        if (length < 0 || position < 0) {
            return -Errno.EFAULT;
        }
        if (buffer == null) {
            if (length != 0) {
                return -Errno.EFAULT;
            }
        } else {
            if (position > buffer.capacity() - length || (fillsBuffer && buffer.isReadOnly())) {
                return -Errno.EFAULT;
            }
            if (buffer.isDirect()) {
                address = baseAddress(buffer) + position;
            } else {
                bounceIndex = bounce.acquire();
                if (bounceIndex < 0) {
                    return -Errno.ENOMEM; // no native memory for a bounce buffer
                }
                length = Math.min(length, bounce.bufferSize());
                if (!fillsBuffer) {
                    copyIn(bounceIndex, buffer, position, length);
                }
                address = bounce.address(bounceIndex);
            }
        }
        // Zero copy only from a bounce buffer: that memory is the ring's, held until the notification,
        // while a caller's direct buffer is the caller's again as soon as its write returns.
        boolean zeroCopy = op == Op.SEND && bounceIndex >= 0 && length >= zeroCopyThreshold;
        sq.claim(zeroCopy ? Op.SEND_ZC : op, r.fd(), userData).addr(address).len(length);
        if (zeroCopy) {
            zeroCopySends++;
        }
        if (op == Op.READ || op == Op.WRITE) {
            sq.off(r.offset());
        } else if (op == Op.SEND) {
            sq.opFlags(LinuxConstants.MSG_NOSIGNAL
                    | ((r.opFlags() & IoRequest.SEND_DONTWAIT) != 0 ? LinuxConstants.MSG_DONTWAIT : 0));
        } else if (op == Op.RECV) {
            sq.ioprio(recvIoprio(r));
        }
        // The slot keeps the buffer reachable until the CQE: a direct buffer's memory is freed only
        // once the buffer is unreachable, and a heap buffer is where the bounce copy goes.
        table.markKernel(slot, buffer, position, bounceIndex);
        return 0;
    }

    /** A RECV's ioprio: IORING_RECVSEND_POLL_FIRST when it asked for it and the ring uses it, else 0. */
    private int recvIoprio(IoRequest r) {
        return (r.opFlags() & IoRequest.RECV_POLL_FIRST) != 0 ? recvPollFirst : 0;
    }

    private int prepareOpenat(int slot, IoRequest r, long userData) {
        ByteBuffer path = r.buffer();
        int position = r.position();
        int length = r.length();
        if (path == null || length < 0 || position < 0 || position > path.capacity() - length) {
            return -Errno.EFAULT;
        }
        if (length >= bounce.bufferSize()) {
            return -Errno.ENAMETOOLONG;
        }
        int bounceIndex = bounce.acquire();
        if (bounceIndex < 0) {
            return -Errno.ENOMEM;
        }
        copyIn(bounceIndex, path, position, length);
        bounce.segment(bounceIndex).set(JAVA_BYTE, length, (byte) 0);
        sq.claim(Op.OPENAT, r.fd(), userData)
                .addr(bounce.address(bounceIndex))
                .len((int) r.offset())
                .opFlags(r.opFlags() | LinuxConstants.O_CLOEXEC);
        table.markKernel(slot, null, 0, bounceIndex);
        return 0;
    }

    /**
     * The statx struct and the empty path's NUL in a bounce buffer of the slot's own until its CQE:
     * the in-flight slot's scratch (32 bytes) is too small for the 256 the kernel writes.
     */
    private int prepareStatx(int slot, IoRequest r, long userData) {
        int bounceIndex = bounce.acquire();
        if (bounceIndex < 0) {
            return -Errno.ENOMEM;
        }
        MemorySegment buffer = bounce.segment(bounceIndex);
        buffer.set(JAVA_BYTE, StatxLayout.SIZE, (byte) 0); // the path "", which AT_EMPTY_PATH reads
        sq.claim(Op.STATX, r.fd(), userData)
                .addr(buffer.address() + StatxLayout.SIZE)
                .len(LinuxConstants.STATX_SIZE)
                .off(buffer.address()) // addr2: the statx buffer
                .opFlags(LinuxConstants.AT_EMPTY_PATH);
        table.markKernel(slot, null, 0, bounceIndex);
        return 0;
    }

    /**
     * The result to deliver for slot {@code slot} whose CQE carried {@code res}: copies a bounced
     * read out (only the {@code res} bytes), gives the bounce buffer back, counts descriptors. A
     * kernel-internal errno (512 and up) never gets past here: see {@link LinuxErrno#userVisible}.
     * {@code cqeFlags} are the CQE's IORING_CQE_F_* flags.
     */
    int decode(int slot, int res, int cqeFlags) {
        if (table.state(slot) == InFlightTable.FORCED) {
            res = table.result(slot);
        }
        res = LinuxErrno.userVisible(res);
        byte op = table.opcode(slot);
        if ((cqeFlags & IoUringConstants.IORING_CQE_F_BUFFER) != 0) {
            table.request(slot).selectedBuffer(cqeFlags >>> IoUringConstants.IORING_CQE_BUFFER_SHIFT);
        } else if (op == Op.RECV) {
            table.request(slot).selectedBuffer(-1); // a multishot RECV's CQE without a buffer: none from an earlier one
        }
        int bounceIndex = table.bounce(slot);
        // a SEND_ZC's result (F_MORE: the notification follows) leaves the buffer to the kernel
        boolean kernelHoldsBuffer = op == Op.SEND && (cqeFlags & IoUringConstants.IORING_CQE_F_MORE) != 0;
        if (bounceIndex >= 0 && !kernelHoldsBuffer) {
            ByteBuffer buffer = table.buffer(slot);
            if (res > 0 && buffer != null && (op == Op.READ || op == Op.RECV)) {
                bounce.copyOut(bounceIndex, buffer, table.position(slot), res);
            } else if (res >= 0 && op == Op.STATX) {
                table.request(slot).size(bounce.segment(bounceIndex).get(JAVA_LONG, StatxLayout.STX_SIZE_OFFSET));
            }
            bounce.release(bounceIndex);
        }
        if (res >= 0 && op == Op.SOCKET) {
            res = dualStack(res);
        }
        if (res >= 0 && opensDescriptor(op)) {
            openDescriptors.incrementAndGet();
        } else if (op == Op.CLOSE && res != -Errno.EBADF && res != -Errno.ECANCELED) {
            // an error of the file's flush (EIO, EINTR): Linux released the fd all the same
            openDescriptors.decrementAndGet();
        }
        return res;
    }

    /** A SEND_ZC's notification (IORING_CQE_F_NOTIF) for slot {@code slot}: its bounce buffer is free again. */
    void onNotification(int slot) {
        zeroCopyNotifications++;
        int bounceIndex = table.bounce(slot);
        if (bounceIndex >= 0) {
            bounce.release(bounceIndex);
        }
    }

    /** A new AF_INET6 socket takes IPv4 peers too, as IoUringBackend.socket()'s do; on failure it is closed. */
    private int dualStack(int fd) {
        if (socketFamily != LinuxConstants.AF_INET6) {
            return fd;
        }
        intValue.set(JAVA_INT, 0, 0);
        int r = Libc.setsockopt(callState, fd, LinuxConstants.IPPROTO_IPV6, LinuxConstants.IPV6_V6ONLY, intValue);
        if (r < 0) {
            Libc.close(callState, fd);
            return r;
        }
        return fd;
    }

    private static boolean opensDescriptor(byte op) {
        return op == Op.ACCEPT || op == Op.OPENAT || op == Op.SOCKET;
    }

    /**
     * Undoes what a completion delivered to nobody created: a descriptor from an ACCEPT, OPENAT or SOCKET
     * that completed while the ring was being closed would otherwise leak. Call after {@link #decode}.
     */
    void abandon(int slot, int result, MemorySegment callState) {
        byte op = table.opcode(slot);
        int picked = table.request(slot).selectedBuffer();
        if (picked >= 0 && provided != null) {
            provided.recycle(picked); // nobody will release it
        }
        if (result >= 0 && opensDescriptor(op) && Libc.close(callState, result) == 0) {
            openDescriptors.decrementAndGet();
        }
    }

    /** Copies into a bounce buffer just taken; one that cannot be filled goes back before the exception does. */
    private void copyIn(int bounceIndex, ByteBuffer src, int position, int length) {
        try {
            bounce.copyIn(bounceIndex, src, position, length);
        } catch (RuntimeException e) {
            bounce.release(bounceIndex);
            throw e;
        }
    }

    /**
     * The address of index 0 of a direct buffer. {@link MemorySegment#ofBuffer} starts the segment
     * at the buffer's position, so that is taken off again. The segment it makes does not escape,
     * but whether the JIT scalar-replaces it depends on what it inlined (a run could keep 72 bytes
     * per call); a buffer object's address never changes, so the last one's is kept and a caller
     * that reuses its buffer, as pooled I/O does, costs no segment at all. The ring's owner only.
     * (ofBuffer checks no liveness either: the buffer's memory session is the caller's to hold.)
     */
    private long baseAddress(ByteBuffer direct) {
        if (direct != lastDirect) {
            lastBase = MemorySegment.ofBuffer(direct).address() - direct.position();
            lastDirect = direct;
        }
        return lastBase;
    }
}
