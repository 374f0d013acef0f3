/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.syscall.linux.NativeMemory;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Ring-side state of every user request between enqueue and reap, in parallel arrays indexed by
 * a slot. The SQE's user_data is the slot's token, {@code generation << 32 | slot} (never
 * negative, so negative values are free for the ring's own SQEs), also stored as the request's
 * {@link IoRequest#ringToken()}; the request itself stays here and is handed back to the sink. A
 * CQE finds its slot in one lookup with one generation check ({@link #slotOf}), and so does an
 * ASYNC_CANCEL its target ({@link #slotInKernel}). Each slot also owns {@link #SCRATCH_BYTES} of native memory for what the kernel
 * reads by pointer (a sockaddr, a timespec), which stays valid until the slot is freed.
 *
 * <pre>
 *  FREE   -> KERNEL  enqueue wrote an SQE for it
 *  FREE   -> FORCED  enqueue failed it inside a link chain: a NOP stands in, the CQE's res is replaced
 *  FREE   -> LOCAL   enqueue failed it without the kernel; its result waits in the local queue
 *  KERNEL -> FREE    its CQE was reaped (FORCED likewise)
 *  KERNEL -> KERNEL  a CQE with IORING_CQE_F_MORE of a multishot ACCEPT was delivered
 *  KERNEL -> NOTIF   a SEND_ZC's result was delivered; its bounce buffer waits for the notification
 *  NOTIF  -> FREE    the notification (IORING_CQE_F_NOTIF) was reaped: the kernel let go of the buffer
 *  LOCAL  -> FREE    reap delivered the local result
 * </pre>
 *
 * Owner thread only. Grows (allocating) when every slot is taken; steady state allocates nothing.
 */
final class InFlightTable {
    static final byte FREE = 0;
    static final byte KERNEL = 1;
    static final byte FORCED = 2;
    static final byte LOCAL = 3;
    static final byte NOTIF = 4;
    /** Native bytes per slot: room for a sockaddr_in6 (28) or a __kernel_timespec (16). */
    static final int SCRATCH_BYTES = 32;
    private static final int GENERATION_MASK = 0x7fff_ffff;

    private IoRequest[] request;
    private int[] generation;
    private byte[] state;
    private byte[] opcode;
    private ByteBuffer[] buffer;
    private int[] position;
    private int[] bounce;
    private int[] result;
    private MemorySegment[] scratch;
    private final int chunk;
    private int[] free;
    private int freeTop;
    /** Slots in state LOCAL, in completion order: a ring buffer of slot ids. */
    private int[] localQueue;
    private int localHead;
    private int localTail;

    /** @throws IllegalStateException with no native memory for the first chunk's scratch */
    InFlightTable(int initialSlots) {
        this.chunk = Math.max(16, initialSlots);
        this.request = new IoRequest[0];
        this.generation = new int[0];
        this.state = new byte[0];
        this.opcode = new byte[0];
        this.buffer = new ByteBuffer[0];
        this.position = new int[0];
        this.bounce = new int[0];
        this.result = new int[0];
        this.scratch = new MemorySegment[0];
        this.free = new int[0];
        this.localQueue = new int[0];
        grow();
    }

    int capacity() {
        return state.length;
    }

    /** User requests enqueued and not yet reaped. */
    int live() {
        return state.length - freeTop;
    }

    /** Takes a free slot for {@code r} and stamps r's ring token with it; the slot's state is still FREE. */
    int acquire(IoRequest r) {
        if (freeTop == 0) {
            grow();
        }
        int slot = free[--freeTop];
        opcode[slot] = r.opcode();
        request[slot] = r;
        bounce[slot] = -1;
        r.ringToken(sqeUserData(slot));
        return slot;
    }

    void markKernel(int slot, ByteBuffer data, int pos, int bounceIndex) {
        state[slot] = KERNEL;
        buffer[slot] = data;
        position[slot] = pos;
        bounce[slot] = bounceIndex;
    }

    void markForced(int slot, int forcedResult) {
        state[slot] = FORCED;
        result[slot] = forcedResult;
    }

    void markLocal(int slot, int localResult) {
        state[slot] = LOCAL;
        result[slot] = localResult;
        localQueue[localTail++ & (localQueue.length - 1)] = slot;
    }

    /**
     * The request's completion was delivered but the kernel still reads its bounce buffer: the
     * slot keeps that (and its token, for the notification) and lets go of the request, which the
     * runtime may reuse at once.
     */
    void markNotif(int slot) {
        state[slot] = NOTIF;
        request[slot] = null;
        buffer[slot] = null;
    }

    boolean hasLocal() {
        return localHead != localTail;
    }

    /** The oldest LOCAL slot; call only when {@link #hasLocal}. */
    int pollLocal() {
        return localQueue[localHead++ & (localQueue.length - 1)];
    }

    long sqeUserData(int slot) {
        return (long) generation[slot] << 32 | slot;
    }

    /** The slot a CQE's user_data names, or -1 if it names no request in the kernel (stale or foreign). */
    int slotOf(long sqeUserData) {
        int slot = (int) sqeUserData;
        if (sqeUserData < 0 || slot < 0 || slot >= state.length) {
            return -1;
        }
        byte s = state[slot];
        boolean inKernel = s == KERNEL || s == FORCED || s == NOTIF;
        return inKernel && generation[slot] == (int) (sqeUserData >>> 32) ? slot : -1;
    }

    /**
     * The slot in which {@code target} is in the kernel now, or -1: its ring token names the slot,
     * whose generation must still match and which must still hold {@code target} (a token left
     * from an earlier submission, or from another ring, finds nothing).
     */
    int slotInKernel(IoRequest target) {
        if (target == null) {
            return -1;
        }
        int slot = slotOf(target.ringToken());
        return slot >= 0 && request[slot] == target ? slot : -1;
    }

    byte state(int slot) {
        return state[slot];
    }

    byte opcode(int slot) {
        return opcode[slot];
    }

    IoRequest request(int slot) {
        return request[slot];
    }

    int result(int slot) {
        return result[slot];
    }

    ByteBuffer buffer(int slot) {
        return buffer[slot];
    }

    int position(int slot) {
        return position[slot];
    }

    int bounce(int slot) {
        return bounce[slot];
    }

    /** The slot's scratch memory: segment and offset of its {@link #SCRATCH_BYTES}. */
    MemorySegment scratchSegment(int slot) {
        return scratch[slot / chunk];
    }

    long scratchOffset(int slot) {
        return (long) (slot % chunk) * SCRATCH_BYTES;
    }

    long scratchAddress(int slot) {
        return scratchSegment(slot).address() + scratchOffset(slot);
    }

    /** Frees the slot: drops its references and moves the generation on, so a stale CQE or cancel finds nothing. */
    void release(int slot) {
        state[slot] = FREE;
        request[slot] = null;
        buffer[slot] = null;
        bounce[slot] = -1;
        generation[slot] = (generation[slot] + 1) & GENERATION_MASK;
        free[freeTop++] = slot;
    }

    /** Frees every chunk's scratch; only once the kernel holds no request of the ring. */
    void freeScratch() {
        for (int i = 0; i < scratch.length; i++) {
            if (scratch[i] != null) {
                NativeMemory.free(scratch[i]);
                scratch[i] = null;
            }
        }
    }

    /**
     * Adds a chunk of slots, its scratch from {@link NativeMemory}: growing happens in a carrier's
     * section, where an arena allocation at the JDK's direct-memory limit would hold the carrier's
     * thread.
     *
     * @throws IllegalStateException with no native memory left (nothing changed then)
     */
    private void grow() {
        MemorySegment chunkScratch = NativeMemory.allocate((long) chunk * SCRATCH_BYTES, Long.BYTES);
        if (chunkScratch == null) {
            throw new IllegalStateException("no native memory for " + chunk + " more in-flight slots");
        }
        int old = state.length;
        int size = old + chunk;
        request = Arrays.copyOf(request, size);
        generation = Arrays.copyOf(generation, size);
        state = Arrays.copyOf(state, size);
        opcode = Arrays.copyOf(opcode, size);
        buffer = Arrays.copyOf(buffer, size);
        position = Arrays.copyOf(position, size);
        bounce = Arrays.copyOf(bounce, size);
        result = Arrays.copyOf(result, size);
        scratch = Arrays.copyOf(scratch, size / chunk);
        scratch[scratch.length - 1] = chunkScratch;
        int[] newFree = new int[size];
        System.arraycopy(free, 0, newFree, 0, freeTop);
        for (int slot = size - 1; slot >= old; slot--) {
            newFree[freeTop++] = slot;
            bounce[slot] = -1;
        }
        free = newFree;
        int[] newLocal = new int[Integer.highestOneBit(size - 1) << 1];
        int n = 0;
        while (hasLocal()) {
            newLocal[n++] = pollLocal();
        }
        localQueue = newLocal;
        localHead = 0;
        localTail = n;
    }
}
