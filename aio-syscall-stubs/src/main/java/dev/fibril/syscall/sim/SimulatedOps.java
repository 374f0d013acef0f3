/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.link.LinkChains;
import dev.fibril.syscall.link.LinkHost;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * What a request of one {@link SimulatedRing} does when the ring runs it: its latency sampled and
 * its faults decided from the ring's seeded streams, its op executed on the simulated files and
 * sockets, and its completion put in the heap (or held back by a REORDER fault until the flush
 * ends), or the request left waiting on a socket as a {@link PendingOp}. Also the ring as its
 * {@link LinkChains} see it. The ring keeps the submission queue, the waits and the reaping.
 *
 * <p>Owner thread only, like the ring.
 */
final class SimulatedOps {
    private final SimulatedKernel kernel;
    private final LatencyModel latency;
    private final FaultPlan faults;
    private final SplittableRandom latencyRandom;
    private final SplittableRandom faultRandom;
    private final CompletionHeap completions;
    private final HeldCompletions held;
    private final PendingOpTable pending;
    private final RequestSlots slots;
    private final Cancellations cancels;
    private final LinkChains chains = new LinkChains(new Links());
    /** The due time of the completion that the last {@link #submit} made; its op if that waits. */
    private long lastDue;
    private PendingOp lastWaiting;
    /** Whether the ring is in its flush: only then may a REORDER fault hold a completion back. */
    boolean flushing;

    SimulatedOps(SimulatedKernel kernel, LatencyModel latency, FaultPlan faults, SplittableRandom random,
                 CompletionHeap completions, HeldCompletions held, PendingOpTable pending, RequestSlots slots,
                 Cancellations cancels) {
        this.kernel = kernel;
        this.latency = latency;
        this.faults = faults;
        this.latencyRandom = random.split();
        this.faultRandom = random.split();
        this.completions = completions;
        this.held = held;
        this.pending = pending;
        this.slots = slots;
        this.cancels = cancels;
    }

    LinkChains chains() {
        return chains;
    }

    /** Runs {@code request}: its result (its completion is then in the heap, or held by a REORDER fault), or {@link SimulatedRing#WAITING}. */
    int submit(IoRequest request, long now, long notBefore) {
        byte op = request.opcode();
        long delay = latency.sampleNanos(op, latencyRandom);
        Descriptor descriptor = usesDescriptor(op) ? kernel.descriptor(request.fd()) : null;
        int target = faultTarget(op, descriptor);
        int result = faults.injectError(target, faultRandom);
        if (result == -Errno.ECONNRESET && descriptor instanceof MemorySocket socket) {
            socket.reset(); // the connection is gone for both ends, as a real reset leaves it
        }
        int length = result == 0 ? faults.shorten(target, request.length(), faultRandom) : request.length();
        delay = SimulatedRing.saturatedAdd(delay, faults.injectDelay(faultRandom));
        boolean reorder = faults.decideReorder(faultRandom);
        if (result != 0 && op == Op.CLOSE) {
            kernel.close(request.fd()); // close(2) releases the fd even when it reports EINTR
        }
        if (result == 0 && (request.flags() & IoRequest.FLAG_FIXED_FILE) != 0) {
            result = -Errno.EINVAL; // the simulated kernel has no registered files
        }
        if (result == 0) {
            if (op == Op.TIMEOUT && request.offset() > 0) {
                delay = SimulatedRing.saturatedAdd(delay, request.offset());
            }
            result = execute(request, op, descriptor, length, delay, now);
            if (result == SimulatedRing.WAITING) {
                lastWaiting.notBefore = notBefore;
                return SimulatedRing.WAITING;
            }
        }
        long due = Math.max(SimulatedRing.saturatedAdd(now, delay), notBefore);
        lastDue = due;
        // A member started outside a flush (its predecessor completed later) is not reordered: held
        // completions are pushed at the end of a flush. The fault stream was consumed all the same.
        if (reorder && flushing) {
            faults.countReorder();
            held.add(due, request.ringToken(), result, op, descriptor);
        } else {
            completions.push(due, request.ringToken(), result, op, descriptor);
        }
        return result;
    }

    private int execute(IoRequest request, byte op, Descriptor descriptor, int length, long delay, long now) {
        switch (op) {
            case Op.NOP:
                return 0;
            case Op.TIMEOUT:
                return request.offset() < 0 ? -Errno.EINVAL : -Errno.ETIME;
            case Op.ASYNC_CANCEL:
                return cancels.asyncCancel(request, now);
            case Op.OPENAT: {
                String path = Buffers.path(request);
                return path == null ? -Errno.EFAULT : kernel.open(path, request.opFlags(), (int) request.offset());
            }
            case Op.SOCKET:
                return kernel.socket();
            case Op.CLOSE:
                return kernel.close(request.fd());
            case Op.STATX: {
                long size = kernel.size(request.fd());
                if (size < 0) {
                    return (int) size;
                }
                request.size(size);
                return 0;
            }
            case Op.FTRUNCATE:
                return kernel.truncate(request.fd(), request.offset());
            default:
                break;
        }
        if (!usesDescriptor(op)) {
            return -Errno.EINVAL;
        }
        if (descriptor instanceof OpenFile file) {
            return switch (op) {
                case Op.READ -> file.read(request.buffer(), request.position(), request.length(), length, request.offset());
                case Op.WRITE -> file.write(request.buffer(), request.position(), request.length(), length, request.offset());
                case Op.FSYNC -> file.fsync();
                // a regular file is always ready, as poll(2) reports it
                case Op.POLL_ADD -> pollEvents(request) == 0 ? -Errno.EINVAL
                        : pollEvents(request) & (IoRequest.POLLIN | IoRequest.POLLOUT);
                default -> -Errno.ENOTSOCK;
            };
        }
        if (descriptor instanceof MemorySocket socket) {
            return switch (op) {
                case Op.READ, Op.RECV, Op.WRITE, Op.SEND, Op.ACCEPT -> waitable(request, op, socket, length, delay);
                case Op.POLL_ADD -> poll(request, socket, delay);
                case Op.CONNECT -> socket.connect(request.address());
                case Op.SHUTDOWN -> socket.shutdown(request.opFlags());
                default -> -Errno.EINVAL;
            };
        }
        return -Errno.EBADF;
    }

    /** RECV, SEND and ACCEPT (READ and WRITE on a socket act as RECV and SEND): complete now or wait as a PendingOp. */
    private int waitable(IoRequest request, byte op, MemorySocket socket, int length, long delay) {
        boolean receiving = op == Op.RECV || op == Op.READ;
        boolean accepting = op == Op.ACCEPT;
        ByteBuffer buffer = null;
        if (!accepting) {
            if (request.length() < 0) {
                return -Errno.EINVAL;
            }
            int fault = Buffers.check(request.buffer(), request.position(), request.length(), receiving);
            if (fault != 0) {
                return fault;
            }
            buffer = Buffers.window(request.buffer(), request.position(), length);
        }
        PendingOp p = pending.acquire();
        p.prepare(request.ringToken(), op, socket, buffer, request.position(), length, delay);
        boolean dontWait = op == Op.SEND && (request.opFlags() & IoRequest.SEND_DONTWAIT) != 0;
        int result = accepting ? socket.accept(p) : receiving ? socket.recv(p) : socket.send(p, dontWait);
        if (result != SimulatedRing.WAITING) {
            pending.release(p);
        } else {
            lastWaiting = p;
            slots.move(p.token, RequestSlots.WAITING, p.slot);
        }
        return result;
    }

    /** POLL_ADD on a socket, one shot: the ready mask now, or WAITING as a PendingOp until one of its events holds. */
    private int poll(IoRequest request, MemorySocket socket, long delay) {
        int events = pollEvents(request);
        if (events == 0) {
            return -Errno.EINVAL; // nothing to wait for, as the epoll backend answers
        }
        PendingOp p = pending.acquire();
        p.prepare(request.ringToken(), Op.POLL_ADD, socket, null, 0, 0, delay);
        p.events = events;
        int result = socket.poll(p);
        if (result != SimulatedRing.WAITING) {
            pending.release(p);
        } else {
            lastWaiting = p;
            slots.move(p.token, RequestSlots.WAITING, p.slot);
        }
        return result;
    }

    /** The events a POLL_ADD asks for: POLLIN and POLLOUT; POLLERR and POLLHUP are reported unasked. */
    private static int pollEvents(IoRequest request) {
        return request.opFlags() & (IoRequest.POLLIN | IoRequest.POLLOUT);
    }

    /** The ring as {@link LinkChains} sees it: a chain member runs as any request, on the ring's clock and latency. */
    private final class Links implements LinkHost {
        @Override
        public int startLinked(IoRequest request, long now, long notBefore) {
            return submit(request, now, notBefore);
        }

        @Override
        public long lastDue() {
            return lastDue;
        }

        @Override
        public int linkWaiting(int link) {
            lastWaiting.link = link;
            return lastWaiting.slot;
        }

        @Override
        public boolean cancelWaiting(int handle) {
            PendingOp op = pending.get(handle);
            return op.waitable.cancel(op);
        }

        @Override
        public void pushCompletion(long due, long token, int result, byte opcode) {
            completions.push(due, token, result, opcode, null);
        }

        @Override
        public void held(long token) {
            slots.move(token, RequestSlots.CHAINED, 0);
        }
    }

    /**
     * Ops whose completion a close of their fd cancels while latency holds it back. Not CLOSE
     * itself, which has released the fd when it ran; nor OPENAT and SOCKET, which name none.
     */
    private static boolean usesDescriptor(byte op) {
        return switch (op) {
            case Op.READ, Op.WRITE, Op.FSYNC, Op.RECV, Op.SEND, Op.ACCEPT, Op.CONNECT, Op.SHUTDOWN, Op.STATX,
                 Op.FTRUNCATE, Op.POLL_ADD -> true;
            default -> false;
        };
    }

    private static int faultTarget(byte op, Descriptor descriptor) {
        switch (op) {
            case Op.OPENAT, Op.CLOSE, Op.STATX, Op.FTRUNCATE, Op.SOCKET -> {
                return FaultPlan.DESCRIPTOR_CALL;
            }
            default -> {
            }
        }
        if (descriptor instanceof OpenFile) {
            return switch (op) {
                case Op.READ -> FaultPlan.FILE_READ;
                case Op.WRITE -> FaultPlan.FILE_WRITE;
                case Op.FSYNC -> FaultPlan.FILE_SYNC;
                default -> FaultPlan.OTHER;
            };
        }
        if (descriptor instanceof MemorySocket) {
            return switch (op) {
                case Op.READ, Op.RECV -> FaultPlan.SOCKET_READ;
                case Op.WRITE, Op.SEND -> FaultPlan.SOCKET_WRITE;
                default -> FaultPlan.OTHER;
            };
        }
        return FaultPlan.OTHER;
    }
}
