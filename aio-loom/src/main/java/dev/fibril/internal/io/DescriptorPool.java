/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

import java.util.ArrayDeque;

/**
 * A carrier's request descriptors: a table that starts preallocated and grows up to a bound, an
 * int stack of free indices, and a FIFO of callers waiting for one (back-pressure).
 *
 * <p>Threads: the owning carrier thread only (see {@link Descriptor}). Steady state allocates
 * nothing: acquire and release move an int on the free stack. A descriptor is only released
 * when it is not SUBMITTED, so the kernel never holds a descriptor that is handed out again.
 */
public final class DescriptorPool {
    private Descriptor[] table;
    private int[] free;
    private int freeTop;
    private int allocated;
    private final int bound;
    private int inUse;
    /** Taken descriptors that carry a standing request (a listening server's multishot ACCEPT); written by the owner, read by any thread. */
    private volatile Standing[] standing = new Standing[0];
    private int highWater;
    private long waits;
    private final ArrayDeque<PoolWaiter> waiters = new ArrayDeque<>();
    private final CompletionListener releaser = new CompletionListener() {
        @Override
        public void onCompletion(Descriptor d) {
            release(d);
        }

        @Override
        public void onCarrierFailed(Descriptor d) {
            // nothing waits; d stays SUBMITTED, out of the pool, as the kernel may still hold it
        }
    };

    public DescriptorPool(int initialSize, int bound) {
        if (initialSize < 1 || bound < initialSize) {
            throw new IllegalArgumentException("descriptor pool needs 1 <= size <= bound, got size "
                    + initialSize + " and bound " + bound);
        }
        this.bound = bound;
        this.table = new Descriptor[initialSize];
        this.free = new int[initialSize];
        addDescriptors(initialSize);
    }

    /** A TAKEN descriptor, or null when all {@code bound} descriptors are in use. */
    public Descriptor tryAcquire() {
        if (freeTop == 0 && !growIfAllowed()) {
            return null;
        }
        Descriptor d = table[free[--freeTop]];
        d.take();
        if (++inUse > highWater) {
            highWater = inUse;
        }
        return d;
    }

    /** Queues {@code waiter} for the next released descriptor and counts the wait. */
    public void await(PoolWaiter waiter) {
        waits++;
        waiters.addLast(waiter);
    }

    /** Removes a waiter that gave up (interrupted, runtime closing); false if it was already granted. */
    public boolean cancelWait(PoolWaiter waiter) {
        return waiters.remove(waiter);
    }

    /**
     * Returns {@code d}: handed straight to the oldest waiter if there is one, else to the free stack.
     *
     * @throws IllegalStateException if {@code d} is SUBMITTED (the kernel may own its buffer) or FREE
     */
    public void release(Descriptor d) {
        d.free();
        PoolWaiter next = waiters.pollFirst();
        if (next != null) {
            d.take();
            next.onGranted(d);
            return;
        }
        free[freeTop++] = d.index();
        inUse--;
    }

    /** The listener of descriptors that nobody waits for: each is released on its completion. */
    CompletionListener releaser() {
        return releaser;
    }

    /** The descriptor at {@code index} (carrier-internal bookkeeping such as retries). */
    public Descriptor byIndex(int index) {
        return table[index];
    }

    /** Calls {@code action} for each SUBMITTED descriptor (control plane: cancellation at close). */
    public void forEachSubmitted(java.util.function.Consumer<Descriptor> action) {
        for (int i = 0; i < allocated; i++) {
            if (table[i].state() == Descriptor.SUBMITTED) {
                action.accept(table[i]);
            }
        }
    }

    /** Drains the waiters (runtime closing), so each can be failed. */
    public PoolWaiter pollWaiter() {
        return waiters.pollFirst();
    }

    /**
     * Descriptors taken by calls in progress: a standing request's counts only while a caller
     * waits for it (a listening server's ACCEPT, while an accept is in progress), as a single-shot
     * request's would. Any thread may read a slightly old count.
     */
    public int inUse() {
        int n = inUse;
        for (Standing s : standing) {
            n += s.awaited.getAsBoolean() ? 1 : 0;
        }
        return n;
    }

    /**
     * Takes taken descriptor {@code d} out of {@link #inUse()}'s count while it carries a standing
     * request, which lives as long as a listening server, not as long as a call: it counts again
     * only while {@code awaited} says a caller waits for it. Undone by {@link #unstand}, before the
     * release. Control plane (allocates).
     */
    public void stand(Descriptor d, java.util.function.BooleanSupplier awaited) {
        if (d.pool() != this || d.state() == Descriptor.FREE) {
            throw new IllegalStateException("descriptor " + d.index() + " is not taken from this pool");
        }
        inUse--;
        Standing[] now = java.util.Arrays.copyOf(standing, standing.length + 1);
        now[now.length - 1] = new Standing(d, awaited);
        standing = now;
    }

    /** Counts {@code d} as a call's again; see {@link #stand}. */
    public void unstand(Descriptor d) {
        Standing[] now = java.util.Arrays.stream(standing).filter(s -> s.descriptor != d).toArray(Standing[]::new);
        if (now.length == standing.length) {
            throw new IllegalStateException("descriptor " + d.index() + " is not standing");
        }
        standing = now;
        inUse++;
    }

    private record Standing(Descriptor descriptor, java.util.function.BooleanSupplier awaited) {
    }

    /** The most descriptors ever in use at once. */
    public int highWater() {
        return highWater;
    }

    public int capacity() {
        return allocated;
    }

    public int bound() {
        return bound;
    }

    public int waiting() {
        return waiters.size();
    }

    public long waits() {
        return waits;
    }

    /** One line per descriptor not FREE, each starting with {@code prefix} (diagnostics: a racy read off the owner). */
    public String describe(String prefix) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < allocated; i++) {
            Descriptor d = table[i];
            if (d.state() != Descriptor.FREE) {
                sb.append(prefix).append(' ').append(d.describe()).append('\n');
            }
        }
        return sb.toString();
    }

    private boolean growIfAllowed() {
        if (allocated == bound) {
            return false;
        }
        int target = (int) Math.min(bound, Math.max(allocated * 2L, 1));
        if (target > table.length) {
            table = java.util.Arrays.copyOf(table, target);
            free = java.util.Arrays.copyOf(free, target);
        }
        addDescriptors(target - allocated);
        return true;
    }

    private void addDescriptors(int count) {
        for (int i = 0; i < count; i++) {
            int index = allocated++;
            table[index] = new Descriptor(this, index);
            free[freeTop++] = index;
        }
    }
}
