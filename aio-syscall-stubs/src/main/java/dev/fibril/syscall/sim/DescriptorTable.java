/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fd table. Like Linux, a new fd is the lowest one free (from 3: 0, 1 and 2 are the standard
 * streams), so an fd number is reused after close.
 *
 * <p>Threads: lookups from any thread without a lock (the owner's per-op path); install and remove
 * under the table's monitor. A lookup that races with a grow may read the old array and see a
 * descriptor that was removed since: every descriptor checks its own closed state, so that is harmless.
 */
final class DescriptorTable {
    static final int FIRST_FD = 3;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Descriptor[].class);

    private final int maxDescriptors;
    private volatile Descriptor[] slots = new Descriptor[64];
    private int count;
    private int lowestFree = FIRST_FD;

    DescriptorTable(int maxDescriptors) {
        this.maxDescriptors = maxDescriptors;
    }

    /** The descriptor for {@code fd}, or null. Any thread, no lock, no allocation. */
    Descriptor get(int fd) {
        Descriptor[] table = slots;
        if (fd < 0 || fd >= table.length) {
            return null;
        }
        return (Descriptor) SLOT.getAcquire(table, fd);
    }

    /** Gives {@code descriptor} the lowest free fd; returns it, or {@code -EMFILE}. */
    synchronized int install(Descriptor descriptor) {
        if (count >= maxDescriptors) {
            return -Errno.EMFILE;
        }
        Descriptor[] table = slots;
        int fd = lowestFree;
        while (fd < table.length && table[fd] != null) {
            fd++;
        }
        if (fd >= table.length) {
            table = Arrays.copyOf(table, table.length * 2);
            // Published before the fd is returned, so whoever learns the fd reads the new array.
            slots = table;
        }
        SLOT.setRelease(table, fd, descriptor);
        count++;
        lowestFree = fd + 1;
        return fd;
    }

    /** Removes {@code fd}; returns what it referred to, or null when it was not open. */
    synchronized Descriptor remove(int fd) {
        Descriptor[] table = slots;
        if (fd < 0 || fd >= table.length || table[fd] == null) {
            return null;
        }
        Descriptor descriptor = table[fd];
        SLOT.setRelease(table, fd, (Descriptor) null);
        count--;
        lowestFree = Math.min(lowestFree, fd);
        return descriptor;
    }

    synchronized boolean full() {
        return count >= maxDescriptors;
    }

    synchronized int count() {
        return count;
    }

    /** The open fds, lowest first. */
    synchronized List<Integer> openFds() {
        List<Integer> fds = new ArrayList<>(count);
        Descriptor[] table = slots;
        for (int fd = 0; fd < table.length; fd++) {
            if (table[fd] != null) {
                fds.add(fd);
            }
        }
        return fds;
    }
}
