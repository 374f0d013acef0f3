/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.syscall.linux.NativeMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A provided buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19), buffer group {@link #GROUP}: an
 * array of {@code struct io_uring_buf} that the application fills and the kernel consumes. A RECV
 * with IOSQE_BUFFER_SELECT takes the entry at the kernel's head when data arrives; its CQE names
 * the buffer id (IORING_CQE_F_BUFFER, id in the upper 16 bits of the flags). The buffer is then the
 * runtime's until {@link #recycle} writes it at the tail again.
 *
 * <p>Owner thread only (registration and every tail update), like the ring it belongs to. The
 * tail is a u16 in the first entry, published with a release store after the entry is written:
 * the kernel may take the entry as soon as it sees the tail. At most {@code entries} buffers are
 * ever in the ring (each id is recycled once per completion), so the tail never laps the head.
 * Buffers are consumed whole (no IOU_PBUF_RING_INC: a lent buffer goes back to the kernel when its
 * one reader releases it, with no count of readers per buffer).
 */
final class ProvidedBufferRing {
    static final int GROUP = 0;
    private static final VarHandle SHORT = JAVA_SHORT.varHandle();
    private static final int PAGE = 4096;

    private final MemorySegment ring;
    private final ByteBuffer[] buffers;
    private final long[] addresses;
    private final int mask;
    private final int bufferSize;
    /** The application's tail; wraps as the kernel's u16 does. */
    private short tail;

    private ProvidedBufferRing(MemorySegment ring, ByteBuffer[] buffers) {
        this.ring = ring;
        this.buffers = buffers.clone();
        this.mask = buffers.length - 1;
        this.bufferSize = buffers[0].capacity();
        this.addresses = new long[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            addresses[i] = MemorySegment.ofBuffer(buffers[i].duplicate().clear()).address();
        }
    }

    /**
     * Registers {@code buffers} as group {@link #GROUP} of ring {@code ringFd} and puts them all in.
     * Returns the ring, or throws {@link RingMapping.SetupException} with the kernel's errno.
     *
     * @throws IllegalArgumentException if the buffers are not direct, of one capacity, a power-of-two count
     */
    static ProvidedBufferRing register(int ringFd, MemorySegment callState, ByteBuffer[] buffers)
            throws RingMapping.SetupException {
        int n = buffers.length;
        if (n == 0 || Integer.bitCount(n) != 1 || n > BufRingLayout.MAX_ENTRIES) {
            throw new IllegalArgumentException("provided buffers: a power-of-two count up to 32768 needed, was " + n);
        }
        for (ByteBuffer b : buffers) {
            if (b == null || !b.isDirect() || b.capacity() != buffers[0].capacity() || b.capacity() == 0) {
                throw new IllegalArgumentException("provided buffers must be direct and all of one nonzero capacity");
            }
        }
        // Native memory, not the ring's arena: this runs in a carrier's section (the first receive),
        // where an arena allocation at the JDK's direct-memory limit would hold the carrier's thread.
        MemorySegment ring = NativeMemory.allocate((long) n * BufRingLayout.BUF_SIZE, PAGE); // page-aligned, as the kernel wants
        MemorySegment reg = NativeMemory.allocate(BufRingLayout.REG_SIZE, Long.BYTES);
        if (ring == null || reg == null) {
            freeEither(ring, reg);
            throw new RingMapping.SetupException("no native memory for a provided buffer ring", Errno.ENOMEM);
        }
        ring.fill((byte) 0);
        reg.fill((byte) 0);
        try {
            reg.set(JAVA_LONG, BufRingLayout.REG_RING_ADDR_OFFSET, ring.address());
            reg.set(JAVA_INT, BufRingLayout.REG_RING_ENTRIES_OFFSET, n);
            reg.set(JAVA_SHORT, BufRingLayout.REG_BGID_OFFSET, (short) GROUP);
            int r = IoUringSyscalls.register(callState, ringFd, IoUringConstants.IORING_REGISTER_PBUF_RING, reg.address(), 1);
            if (r < 0) {
                NativeMemory.free(ring);
                throw new RingMapping.SetupException("io_uring_register(PBUF_RING)", -r);
            }
        } finally {
            NativeMemory.free(reg);
        }
        ProvidedBufferRing pbr = new ProvidedBufferRing(ring, buffers);
        for (int id = 0; id < n; id++) {
            pbr.write(id);
        }
        pbr.publish();
        return pbr;
    }

    private static void freeEither(MemorySegment a, MemorySegment b) {
        if (a != null) {
            NativeMemory.free(a);
        }
        if (b != null) {
            NativeMemory.free(b);
        }
    }

    /** Frees the ring's memory: only once its io_uring is closed and drained (the kernel reads it till then). */
    void free() {
        NativeMemory.free(ring);
    }

    int bufferSize() {
        return bufferSize;
    }

    int count() {
        return buffers.length;
    }

    /** Puts buffer {@code id} back at the tail, for the kernel to pick again. */
    void recycle(int id) {
        if (id < 0 || id > mask) {
            throw new IllegalArgumentException("no provided buffer " + id);
        }
        write(id);
        publish();
    }

    private void write(int id) {
        long entry = (long) (tail & mask) * BufRingLayout.BUF_SIZE;
        ring.set(JAVA_LONG, entry + BufRingLayout.BUF_ADDR_OFFSET, addresses[id]);
        ring.set(JAVA_INT, entry + BufRingLayout.BUF_LEN_OFFSET, bufferSize);
        ring.set(JAVA_SHORT, entry + BufRingLayout.BUF_BID_OFFSET, (short) id);
        tail++;
    }

    /** Release store: the entries written before it are complete when the kernel reads them. */
    private void publish() {
        SHORT.setRelease(ring, BufRingLayout.RING_TAIL_OFFSET, tail);
    }

    /** Unregisters the group; the memory stays until {@link #free}. */
    void unregister(int ringFd, MemorySegment callState) {
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment reg = temp.allocate(BufRingLayout.REG_SIZE, Long.BYTES);
            reg.set(JAVA_SHORT, BufRingLayout.REG_BGID_OFFSET, (short) GROUP);
            IoUringSyscalls.register(callState, ringFd, IoUringConstants.IORING_UNREGISTER_PBUF_RING, reg.address(), 1);
        }
    }
}
