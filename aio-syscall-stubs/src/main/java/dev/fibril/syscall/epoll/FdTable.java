/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.Channel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The fd numbers of an {@link EpollBackend}: int fd to {@link FdEntry}, handed out like a
 * kernel does, the lowest free number first (from {@link #FIRST_FD}, as 0-2 are stdio). Small,
 * dense numbers let every ring index its per-fd state by fd in a plain array.
 *
 * <p>Threads: any. {@link #get} is lock-free (a volatile read of the array, an acquire read of the
 * element) because every request looks its fd up; {@link #add} and {@link #remove} lock (the
 * control plane). A reader racing with a grow may read the old array and so miss a removal; the
 * entry it gets is then {@link FdEntry#isClosed closed}, which {@link #get} checks.
 */
final class FdTable {
    static final int FIRST_FD = 3;
    private static final VarHandle ELEMENT = MethodHandles.arrayElementVarHandle(FdEntry[].class);

    private volatile FdEntry[] entries = new FdEntry[64];
    private final BitSet used = new BitSet();
    private int count;

    /** Gives {@code channel} the lowest free fd. */
    synchronized FdEntry add(Channel channel, boolean append) {
        int fd = used.nextClearBit(FIRST_FD);
        FdEntry[] current = entries;
        if (fd >= current.length) {
            current = Arrays.copyOf(current, Math.max(fd + 1, current.length * 2));
            entries = current;
        }
        FdEntry entry = new FdEntry(fd, channel, append);
        ELEMENT.setRelease(current, fd, entry); // the entry's final fields are published with it
        used.set(fd);
        count++;
        return entry;
    }

    /** The open entry for {@code fd}, or null. */
    FdEntry get(int fd) {
        FdEntry[] current = entries;
        if (fd < 0 || fd >= current.length) {
            return null;
        }
        FdEntry entry = (FdEntry) ELEMENT.getAcquire(current, fd);
        return entry == null || entry.isClosed() ? null : entry;
    }

    /** Frees {@code fd}'s number and returns its entry, or null if {@code fd} is not open. */
    synchronized FdEntry remove(int fd) {
        FdEntry[] current = entries;
        if (fd < 0 || fd >= current.length || current[fd] == null) {
            return null;
        }
        FdEntry entry = current[fd];
        ELEMENT.setRelease(current, fd, (FdEntry) null);
        used.clear(fd);
        count--;
        return entry;
    }

    /** Removes every entry, for the backend's close. */
    synchronized List<FdEntry> removeAll() {
        List<FdEntry> all = new ArrayList<>(count);
        for (int fd = used.nextSetBit(0); fd >= 0; fd = used.nextSetBit(fd + 1)) {
            all.add(remove(fd));
        }
        return all;
    }

    synchronized int count() {
        return count;
    }
}
