/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.syscall.linux.NativeMemory;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A carrier's receive buffers: what {@code FibrilSocketChannel.receive()} lends. {@code count}
 * direct buffers of {@code size} bytes, slices of one allocation made on the first receive on the
 * carrier. Where the ring can take them ({@link CompletionRing#provideBuffers}, io_uring's provided
 * buffer ring) the kernel holds the free ones and picks one when data arrives, so a connection
 * waiting for bytes holds no buffer; elsewhere the runtime keeps them on a free stack and a
 * receive takes one once the socket is readable.
 *
 * <pre>
 *  FREE (kernel's ring or free stack) -> LENT   a receive completed into it
 *  LENT -> FREE                                 its reader released it (owner: at once; any other
 *                                               thread: through the return queue, drained by the owner)
 * </pre>
 *
 * <p>Threads: the owning carrier (its loop, or a fibril inside a section) for everything but
 * {@link #returnFromAnyThread}, which any thread may call. Nothing allocates once the buffers are
 * made: lending hands out the buffer's own preallocated view; the return queue is a fixed array.
 * Exhaustion is back-pressure: a receive parks in {@link #addWaiter} until a buffer comes back.
 *
 * <p>The memory is {@link NativeMemory}'s (made inside a section, where a wait for the collector at
 * the JDK's direct-memory limit would hold the carrier's thread), and freed with the carrier once
 * none is lent ({@link #free}).
 */
public final class ReceiveBuffers {
    private final int count;
    private final int size;
    private ByteBuffer[] views;
    private MemorySegment memory;
    private boolean freed;
    private CompletionRing ring;
    private boolean kernelPicks;
    private int[] free;
    private int freeTop;
    private int lent;
    private long waits;
    private final ArrayDeque<Thread> waiters = new ArrayDeque<>();
    /** Ids released by other threads: producers claim an index, write id + 1; the owner reads and zeroes. */
    private final AtomicIntegerArray returns;
    private final AtomicLong returnTail = new AtomicLong();
    /** The owner's read index into {@link #returns}. */
    private long returnHead;
    /** Written by the owner, read by foreign releasers: whether a fibril waits for a buffer. */
    private volatile boolean waited;

    public ReceiveBuffers(int count, int size) {
        if (count < 1 || Integer.bitCount(count) != 1 || count > 32768) {
            throw new IllegalArgumentException("receive buffers: a power-of-two count in [1, 32768] needed, was " + count);
        }
        if (size < 512 || size > (1 << 20)) {
            throw new IllegalArgumentException("receive buffer size must be in [512, 1 MiB], was " + size);
        }
        this.count = count;
        this.size = size;
        this.returns = new AtomicIntegerArray(count);
    }

    /**
     * Makes the buffers on first use and offers them to {@code ring}. Owner.
     *
     * @throws IllegalStateException with no native memory left for them, or once freed
     */
    public void ensureReady(CompletionRing ring) {
        if (views != null) {
            return;
        }
        if (freed) {
            throw new IllegalStateException("receive buffers freed with their carrier");
        }
        MemorySegment m = NativeMemory.allocate((long) count * size, 4096);
        if (m == null) {
            throw new IllegalStateException("no native memory for a carrier's " + count + " receive buffers of " + size + " bytes");
        }
        ByteBuffer all = m.asByteBuffer();
        ByteBuffer[] v = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            v[i] = all.slice(i * size, size);
        }
        this.ring = ring;
        kernelPicks = ring.provideBuffers(v);
        if (!kernelPicks) {
            free = new int[count];
            for (int i = 0; i < count; i++) {
                free[i] = count - 1 - i;
            }
            freeTop = count;
        }
        views = v;
        memory = m;
    }

    /**
     * The carrier terminated, its ring closed: frees the buffers, unless a reader still holds one
     * (it may read it after the runtime closed), in which case they are left to the process.
     */
    public void free() {
        if (views == null || freed) {
            return;
        }
        if (lent - (returnTail.get() - returnHead) > 0) {
            return; // (a buffer returned from another thread but not drained is no longer held)
        }
        freed = true;
        views = null;
        NativeMemory.free(memory);
        memory = null;
    }

    /** Whether the ring picks the buffer (a RECV with FLAG_BUFFER_SELECT), rather than the runtime. */
    public boolean kernelPicks() {
        return kernelPicks;
    }

    public int size() {
        return size;
    }

    /** Runtime-picked mode: takes a free buffer id, or -1 when all are out. Owner. */
    public int take() {
        drainReturns();
        if (freeTop == 0) {
            return -1;
        }
        lent++;
        return free[--freeTop];
    }

    /**
     * Whether more than a quarter of the buffers are free: below that a receive that could stand
     * and keep taking buffers (a multishot RECV) is not armed, so what is left goes one per
     * waiting connection. Owner.
     */
    public boolean plentiful() {
        return lent <= count - count / 4 - 1;
    }

    /** Kernel-picked mode: a completion handed the runtime one of the buffers. Owner. */
    public void picked() {
        lent++;
    }

    /** The buffer {@code id}'s view, cleared to its full size. */
    public ByteBuffer view(int id) {
        return views[id].clear();
    }

    /** The view as last lent (for the identity check of a release). */
    public ByteBuffer lentView(int id) {
        return views[id];
    }

    /** Gives buffer {@code id} back (to the kernel's ring, or the free stack) and wakes the waiters. Owner. */
    public void give(int id) {
        lent--;
        if (kernelPicks) {
            ring.recycleBuffer(id);
        } else {
            free[freeTop++] = id;
        }
        wakeAll();
    }

    /**
     * Any thread: queues {@code id} for the owner, which gives it back at its next loop iteration.
     * Returns true when a fibril waits for a buffer, so the caller should wake the owner.
     */
    public boolean returnFromAnyThread(int id) {
        long t = returnTail.getAndIncrement();
        // At most count ids are out, each returned once: index t's previous entry was read already.
        returns.set((int) (t & (count - 1)), id + 1);
        return waited;
    }

    /** Gives back what other threads returned. Owner; cheap when nothing was. */
    public void drainReturns() {
        while (returnHead != returnTail.get()) {
            int i = (int) (returnHead & (count - 1));
            int v = returns.get(i);
            if (v == 0) {
                return; // claimed, not yet written: the next drain takes it
            }
            returns.set(i, 0);
            returnHead++;
            give(v - 1);
        }
    }

    /** Registers the current fibril to be unparked when a buffer comes back. Owner. */
    public void addWaiter() {
        waits++;
        waiters.add(Thread.currentThread());
        waited = true;
        // A buffer may have come back between the receive that found none and this registration
        // (with no waiter to wake then): a buffer free now wakes the waiters at once, this one too,
        // so that buffer cannot lie unused in the ring while receives wait for it.
        drainReturns();
        if (lent < count) {
            wakeAll();
        }
    }

    /**
     * Forgets the current fibril's registration (it stopped waiting). A fibril that was woken for a
     * buffer but gives up instead of receiving ({@code leaving}: interrupted, closed, timed out)
     * wakes the others while a buffer is free, so that buffer cannot sit unused while they wait.
     * Owner.
     */
    public void removeWaiter(boolean leaving) {
        boolean woken = !waiters.remove(Thread.currentThread());
        if (woken && leaving && lent < count) {
            wakeAll();
        }
        waited = !waiters.isEmpty();
    }

    private void wakeAll() {
        Thread t;
        while ((t = waiters.poll()) != null) {
            LockSupport.unpark(t);
        }
        waited = false;
    }

    /** Buffers made so far (0 before the first receive on the carrier). Racy read for gauges. */
    public int capacity() {
        return views == null ? 0 : count;
    }

    /** Buffers out of the pool now: lent to readers, or returned and not yet drained. Racy read for gauges. */
    public int lent() {
        return lent;
    }

    /** Times a receive had to wait for a buffer (back-pressure). */
    public long waits() {
        return waits;
    }
}
