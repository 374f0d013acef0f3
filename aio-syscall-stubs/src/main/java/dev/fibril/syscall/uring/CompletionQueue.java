/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CQ side of a ring: the kernel writes CQEs and advances the shared tail; the owner reads
 * them and advances the shared head. Owner thread only. Read the tail once, process the batch,
 * then publish the head once.
 */
final class CompletionQueue {
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment ring;
    private final long headOffset;
    private final long tailOffset;
    private final long cqesOffset;
    private final int mask;
    /** The owner's head; the shared one is only written by {@link #soHead}. */
    private int head;

    CompletionQueue(RingMapping mapping) {
        this.ring = mapping.cqRing;
        this.headOffset = mapping.cqHead;
        this.tailOffset = mapping.cqTail;
        this.cqesOffset = mapping.cqes;
        this.mask = mapping.cqMask;
        this.head = (int) INT.getAcquire(ring, headOffset);
    }

    int head() {
        return head;
    }

    /** The kernel's tail: acquire, so the CQEs before it are fully written when we read them. */
    int lvTail() {
        return (int) INT.getAcquire(ring, tailOffset);
    }

    /** True when no CQE is ready to read. */
    boolean isEmpty() {
        return lvTail() == head;
    }

    long userData(int index) {
        return ring.get(JAVA_LONG, cqe(index) + CqeLayout.USER_DATA_OFFSET);
    }

    /** cqe->flags (IORING_CQE_F_*; the buffer id of a provided buffer in the upper 16 bits). */
    int flags(int index) {
        return ring.get(JAVA_INT, cqe(index) + CqeLayout.FLAGS_OFFSET);
    }

    int res(int index) {
        return ring.get(JAVA_INT, cqe(index) + CqeLayout.RES_OFFSET);
    }

    /**
     * Publishes the head: a release store after the CQE reads, since the kernel may overwrite a
     * CQE as soon as it sees the head pass it.
     */
    void soHead(int newHead) {
        head = newHead;
        INT.setRelease(ring, headOffset, newHead);
    }

    private long cqe(int index) {
        return cqesOffset + (long) (index & mask) * CqeLayout.SIZE;
    }
}
