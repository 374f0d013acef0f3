/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Unbounded lock-free queue: many producers (any thread), one consumer (the carrier thread).
 * Vyukov's intrusive-less MPSC list: a producer swaps itself in as the tail, then links the old
 * tail to its node. {@link #offer} never blocks and never fails, as the virtual-thread scheduler's
 * {@code execute} requires. Costs one node per offer: this path carries only cross-thread
 * wake-ups and control commands; same-carrier wake-ups use {@link LocalRunQueue}.
 */
final class MpscRunQueue {
    private static final VarHandle TAIL;
    private static final VarHandle NEXT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(MpscRunQueue.class, "tail", Node.class);
            NEXT = lookup.findVarHandle(Node.class, "next", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final class Node {
        Runnable task;
        volatile Node next;

        Node(Runnable task) {
            this.task = task;
        }
    }

    private Node head; // consumer only: the last consumed node (a stub)
    @SuppressWarnings("unused") // accessed through TAIL
    private volatile Node tail;

    MpscRunQueue() {
        Node stub = new Node(null);
        head = stub;
        tail = stub;
    }

    /** Any thread. */
    void offer(Runnable task) {
        Node node = new Node(task);
        Node previous = (Node) TAIL.getAndSet(this, node);
        // Between the swap and this store the list is briefly cut: the consumer sees next == null
        // and treats the queue as empty until the link lands (see poll and isEmpty).
        NEXT.setRelease(previous, node);
    }

    /** Consumer only. The oldest task, or null when none is visible yet. */
    Runnable poll() {
        Node next = (Node) NEXT.getAcquire(head);
        if (next == null) {
            if (head != TAIL.getVolatile(this)) {
                // A producer swapped the tail but has not linked yet: wait for its store, it is
                // a few instructions away.
                while ((next = (Node) NEXT.getAcquire(head)) == null) {
                    Thread.onSpinWait();
                }
            } else {
                return null;
            }
        }
        Runnable task = next.task;
        next.task = null;
        head = next;
        return task;
    }

    /** Consumer only; also true while a producer is mid-offer, so a caller about to sleep re-checks. */
    boolean isEmpty() {
        return head == TAIL.getVolatile(this);
    }
}
