/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;

/**
 * A carrier's pipes for sendFile's SPLICE chains (file -> pipe -> socket): one pipe per chain in
 * flight, never shared. A chain parks between its splices; had it to share the pipe, the next
 * chain's splice to its socket would send the bytes the first one left there.
 *
 * <p>Threads: the owning carrier thread only (its loop and the fibrils it runs), except
 * {@link #openFileDescriptors()}, a gauge that any thread reads.
 *
 * <p>Protocol. {@link #tryAcquire} hands out an empty pipe: a free one, or a new one while fewer
 * than {@code bound} are open. At the bound, on a backend without pipes, or when pipe(2) fails
 * (EMFILE) it returns null, and the chain's caller sends without a pipe (read, then send) instead
 * of waiting: a chain holds its pipe for as long as its socket does not drain, so waiting for a
 * pipe would let {@code bound} clients that stop reading stall every other sendFile on the
 * carrier. A chain that ends with its pipe known empty (every byte it spliced in was spliced out)
 * gives it back with {@link #release}. A chain that failed or was cancelled with bytes perhaps left
 * in the pipe hands it to {@link #discard}, which closes that pipe alone; so no chain ever starts
 * on another chain's bytes.
 *
 * <pre>
 *  FREE -> IN_USE     tryAcquire (opened on demand, up to the bound)
 *  IN_USE -> FREE     release: the chain left it empty
 *  IN_USE -> CLOSED   discard: it may hold bytes of a failed chain
 *  any -> CLOSED      closeAll, when the carrier terminates (none of its fibrils runs after that)
 * </pre>
 */
public final class SplicePipePool {
    private final Backend backend;
    private final int bound;
    /** Every open pipe, free or in use; closeAll closes them all. */
    private final SplicePipe[] open;
    private final SplicePipe[] free;
    private int freeCount;
    /** How many of {@link #open} are set; written by the carrier thread only, read by gauges. */
    private volatile int openCount;
    private boolean unsupported;
    private boolean closed;

    public SplicePipePool(Backend backend, int bound) {
        if (bound < 0) {
            throw new IllegalArgumentException("negative splice pipe bound: " + bound);
        }
        this.backend = backend;
        this.bound = bound;
        this.open = new SplicePipe[bound];
        this.free = new SplicePipe[bound];
    }

    /** An empty pipe for one chain, or null: at the bound, no pipes on this backend, or pipe(2) failed. */
    public SplicePipe tryAcquire() {
        SplicePipe p;
        if (freeCount > 0) {
            p = free[--freeCount];
            free[freeCount] = null;
        } else {
            if (closed || unsupported || openCount == bound) {
                return null;
            }
            int[] fds = new int[2]; // a new pipe: at most bound of them while none fails
            int r = backend.pipe(fds);
            if (r < 0) {
                unsupported = r == -Errno.EOPNOTSUPP;
                return null;
            }
            p = new SplicePipe(fds[0], fds[1]);
            open[openCount] = p;
            openCount = openCount + 1; // single writer: a plain increment published by the volatile store
        }
        p.inUse = true;
        return p;
    }

    /** Takes back a pipe that its chain left empty. */
    public void release(SplicePipe p) {
        giveBack(p);
        if (p.readFd < 0) {
            return; // closed by closeAll while its chain was in flight
        }
        free[freeCount++] = p;
    }

    /** Closes a pipe that may still hold bytes of its chain; a later chain gets a new one. */
    public void discard(SplicePipe p) {
        giveBack(p);
        close(p);
    }

    /** Closes every pipe, free or in use (the carrier is terminating); later calls make none. */
    public void closeAll() {
        closed = true;
        while (openCount > 0) {
            close(open[openCount - 1]);
        }
        freeCount = 0;
        java.util.Arrays.fill(free, null);
    }

    /** File descriptors the pool holds: both ends of each open pipe. Any thread; a moment old. */
    public int openFileDescriptors() {
        return 2 * openCount;
    }

    public int bound() {
        return bound;
    }

    /** Pipes handed out and not given back. */
    public int inUse() {
        int n = 0;
        for (int i = 0; i < openCount; i++) {
            if (open[i].inUse) {
                n++;
            }
        }
        return n;
    }

    private static void giveBack(SplicePipe p) {
        if (!p.inUse) {
            throw new IllegalStateException("splice pipe given back twice");
        }
        p.inUse = false;
    }

    private void close(SplicePipe p) {
        if (p.readFd < 0) {
            return;
        }
        backend.close(p.readFd);
        backend.close(p.writeFd);
        p.readFd = -1;
        p.writeFd = -1;
        for (int i = 0; i < openCount; i++) {
            if (open[i] == p) {
                open[i] = open[openCount - 1];
                open[openCount - 1] = null;
                openCount = openCount - 1;
                return;
            }
        }
    }
}
