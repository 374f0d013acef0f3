/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * Descriptors closed by any thread (multi-producer), for a ring's owner (single consumer) to cancel
 * the completions it still holds back for them. Control plane: closes are rare, so it may allocate;
 * the owner's per-op cost is one volatile read.
 */
final class MpscClosedDescriptorQueue {
    private List<Descriptor> closed = new ArrayList<>();
    private volatile boolean nonEmpty;

    /** Any thread. */
    synchronized void offer(Descriptor descriptor) {
        closed.add(descriptor);
        nonEmpty = true;
    }

    /** Owner only: whether anything was offered since the last {@link #take()}. */
    boolean isEmpty() {
        return !nonEmpty;
    }

    /** Owner only: everything offered so far, oldest first. */
    synchronized List<Descriptor> take() {
        List<Descriptor> taken = closed;
        closed = new ArrayList<>();
        nonEmpty = false;
        return taken;
    }
}
