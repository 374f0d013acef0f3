/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.util.Arrays;

/**
 * The identity of every request of one {@link SimulatedRing} between enqueue and reap, and where
 * it is now, in parallel arrays indexed by a slot. A slot's token, {@code generation << 32 | slot},
 * is what the ring's structures carry for the request (the completion heap, held completions,
 * pending ops, link chains) and is stored as its {@link IoRequest#ringToken()}. A completion finds
 * its request in one lookup with one generation check ({@link #complete}); an ASYNC_CANCEL finds
 * its target's slot from the target's token, taken when the cancel was enqueued, and from the
 * slot where that target is ({@link #cancelTargetOf}, {@link #where}, {@link #at}): no search.
 *
 * <pre>
 *  FREE    -> QUEUED   enqueued, in the submission queue
 *  QUEUED  -> WAITING  ran and waits on a socket: at = its PendingOp's slot
 *  QUEUED  -> CHAINED  held behind a linked request still running, or a LINK_TIMEOUT (LinkChains'): no ASYNC_CANCEL finds it
 *  QUEUED  -> HELD     ran; a REORDER fault holds its completion until the flush ends: at = its HeldCompletions index
 *  CHAINED -> WAITING  started behind its predecessor, and waits
 *  QUEUED, WAITING, CHAINED, HELD -> DUE   its completion is in the heap: at = its heap index, kept
 *                      up to date as the heap moves it
 *  DUE     -> FREE     reaped (or abandoned by close); the generation moves on
 * </pre>
 *
 * Owner thread only. Grows (allocating) when every slot is taken; steady state allocates nothing.
 */
final class RequestSlots {
    static final byte FREE = 0;
    static final byte QUEUED = 1;
    static final byte WAITING = 2;
    static final byte CHAINED = 3;
    static final byte HELD = 4;
    static final byte DUE = 5;
    private static final int GENERATION_MASK = 0x7fff_ffff;

    private IoRequest[] request = new IoRequest[0];
    private int[] generation = new int[0];
    private byte[] where = new byte[0];
    private int[] at = new int[0];
    /** ASYNC_CANCEL: the target's token when the cancel was enqueued. */
    private long[] cancelToken = new long[0];
    private int[] free = new int[0];
    private int freeTop;
    private long stale;

    RequestSlots(int initialSlots) {
        grow(initialSlots);
    }

    /** FREE -> QUEUED: a slot for {@code r}, whose ring token it stamps; returns the token. */
    long acquire(IoRequest r) {
        if (freeTop == 0) {
            grow(request.length * 2);
        }
        int slot = free[--freeTop];
        request[slot] = r;
        where[slot] = QUEUED;
        long token = token(slot);
        r.ringToken(token);
        if (r.opcode() == Op.ASYNC_CANCEL && r.cancelTarget() != null) {
            cancelToken[slot] = r.cancelTarget().ringToken(); // now: a later submission of it is not this cancel's
        }
        return token;
    }

    /** Records where the request of {@code token} is now: {@code place} (WAITING, CHAINED, HELD, DUE) at index {@code index}. */
    void move(long token, byte place, int index) {
        int slot = slotOf(token);
        if (slot >= 0) {
            where[slot] = place;
            at[slot] = index;
        }
    }

    /**
     * DUE -> FREE: the request whose completion carries {@code token}, its slot freed; or null
     * (counted as stale) when the token names no request in flight, which the ring never expects.
     */
    IoRequest complete(long token) {
        int slot = slotOf(token);
        if (slot < 0) {
            stale++;
            return null;
        }
        IoRequest r = request[slot];
        release(slot);
        return r;
    }

    /**
     * For the ASYNC_CANCEL {@code cancel} (enqueued, not yet reaped): the slot of its target in the
     * submission the target had when the cancel was enqueued, or -1 when that has completed (or
     * never was here).
     */
    int cancelTargetOf(IoRequest cancel) {
        IoRequest target = cancel.cancelTarget();
        int own = slotOf(cancel.ringToken());
        if (target == null || own < 0) {
            return -1;
        }
        int slot = slotOf(cancelToken[own]);
        return slot >= 0 && request[slot] == target ? slot : -1;
    }

    long token(int slot) {
        return (long) generation[slot] << 32 | slot;
    }

    byte where(int slot) {
        return where[slot];
    }

    int at(int slot) {
        return at[slot];
    }

    /** Requests enqueued and not yet reaped. */
    int live() {
        return request.length - freeTop;
    }

    /** Completions that named no request in flight (none are expected; a nonzero count is a bug). */
    long staleCompletions() {
        return stale;
    }

    /** Abandons every request (the ring is closing): drops the references to them. */
    void clear() {
        for (int slot = 0; slot < request.length; slot++) {
            if (where[slot] != FREE) {
                release(slot);
            }
        }
    }

    private int slotOf(long token) {
        int slot = (int) token;
        if (token < 0 || slot < 0 || slot >= request.length || where[slot] == FREE) {
            return -1;
        }
        return generation[slot] == (int) (token >>> 32) ? slot : -1;
    }

    private void release(int slot) {
        request[slot] = null;
        where[slot] = FREE;
        generation[slot] = (generation[slot] + 1) & GENERATION_MASK;
        cancelToken[slot] = -1;
        free[freeTop++] = slot;
    }

    private void grow(int size) {
        int old = request.length;
        request = Arrays.copyOf(request, size);
        generation = Arrays.copyOf(generation, size);
        where = Arrays.copyOf(where, size);
        at = Arrays.copyOf(at, size);
        cancelToken = Arrays.copyOf(cancelToken, size);
        free = Arrays.copyOf(free, size);
        for (int slot = size - 1; slot >= old; slot--) {
            free[freeTop++] = slot;
        }
    }
}
