/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The SQ side of a ring: the owner writes SQEs at its private tail and publishes the tail; the
 * kernel consumes them inside io_uring_enter and advances the shared head. Owner thread only.
 * Writing an SQE is a flyweight: {@link #claim} positions the writer on the next free SQE and
 * zeroes it, the setters fill fields, {@link #publish} hands everything claimed so far over.
 */
final class SubmissionQueue {
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment ring;
    private final MemorySegment sqes;
    private final long headOffset;
    private final long tailOffset;
    private final long flagsOffset;
    private final int mask;
    private final int entries;
    /** SQEs claimed so far (published or not); wraps like the kernel's u32 indexes. */
    private int tail;
    /** Byte offset of the SQE being written. */
    private long sqe;
    /** The last SQE claimed carries IOSQE_IO_LINK: the next one claimed joins its chain. */
    private boolean lastLinked;
    /**
     * The kernel's head as last read: it only moves forward, so a stale value makes {@link #free}
     * low, never high. Read again once it says half the queue or less is free.
     */
    private int knownHead;

    SubmissionQueue(RingMapping mapping) {
        this.ring = mapping.sqRing;
        this.sqes = mapping.sqes;
        this.headOffset = mapping.sqHead;
        this.tailOffset = mapping.sqTail;
        this.flagsOffset = mapping.sqFlags;
        this.mask = mapping.sqMask;
        this.entries = mapping.sqEntries;
        this.tail = (int) INT.getAcquire(ring, tailOffset);
        this.knownHead = lvHead();
    }

    int entries() {
        return entries;
    }

    /**
     * SQEs that can still be claimed before the kernel consumes some: exact when at most half the
     * queue is free, else possibly fewer than are (the kernel's head is read again only then, not
     * on every claim: that acquire load of a line the kernel writes showed in the profiles).
     */
    int free() {
        int free = entries - (tail - knownHead);
        if (free <= entries >>> 1) {
            knownHead = lvHead();
            free = entries - (tail - knownHead);
        }
        return free;
    }

    /** SQEs claimed and not yet consumed by the kernel: what the next io_uring_enter should submit. */
    int unsubmitted() {
        return tail - lvHead();
    }

    /** Positions the writer on the next SQE, zeroed, with its opcode, fd and user_data. Check {@link #free} first. */
    SubmissionQueue claim(byte opcode, int fd, long userData) {
        sqe = (long) (tail & mask) * SqeLayout.SIZE;
        tail++;
        lastLinked = false;
        for (long i = 0; i < SqeLayout.SIZE; i += Long.BYTES) {
            sqes.set(JAVA_LONG, sqe + i, 0L);
        }
        sqes.set(JAVA_BYTE, sqe + SqeLayout.OPCODE_OFFSET, opcode);
        sqes.set(JAVA_INT, sqe + SqeLayout.FD_OFFSET, fd);
        sqes.set(JAVA_LONG, sqe + SqeLayout.USER_DATA_OFFSET, userData);
        return this;
    }

    SubmissionQueue flags(int iosqeFlags) {
        sqes.set(JAVA_BYTE, sqe + SqeLayout.FLAGS_OFFSET, (byte) iosqeFlags);
        lastLinked = (iosqeFlags & IoUringConstants.IOSQE_IO_LINK) != 0;
        return this;
    }

    /**
     * True while an SQE with IOSQE_IO_LINK waits to be submitted: whatever is claimed next becomes
     * part of its chain. The kernel ends a chain at the end of each submission, so once everything
     * is consumed no chain is open.
     */
    boolean chainOpen() {
        return lastLinked && unsubmitted() > 0;
    }

    SubmissionQueue off(long off) {
        sqes.set(JAVA_LONG, sqe + SqeLayout.OFF_OFFSET, off);
        return this;
    }

    SubmissionQueue addr(long addr) {
        sqes.set(JAVA_LONG, sqe + SqeLayout.ADDR_OFFSET, addr);
        return this;
    }

    SubmissionQueue len(int len) {
        sqes.set(JAVA_INT, sqe + SqeLayout.LEN_OFFSET, len);
        return this;
    }

    /** The per-opcode flags word: rw_flags, fsync_flags, poll32_events, msg_flags, cancel_flags, ... */
    SubmissionQueue opFlags(int opFlags) {
        sqes.set(JAVA_INT, sqe + SqeLayout.OP_FLAGS_OFFSET, opFlags);
        return this;
    }

    /** ioprio: the per-opcode flags of ACCEPT (IORING_ACCEPT_*), SEND_ZC (IORING_SEND_ZC_*), RECV. */
    SubmissionQueue ioprio(int ioprio) {
        sqes.set(JAVA_SHORT, sqe + SqeLayout.IOPRIO_OFFSET, (short) ioprio);
        return this;
    }

    /** The ioprio of the SQE claimed last (for tests of what the codec writes). */
    short lastIoprio() {
        return sqes.get(JAVA_SHORT, sqe + SqeLayout.IOPRIO_OFFSET);
    }

    /** buf_group: the provided buffer group an IOSQE_BUFFER_SELECT request picks from. */
    SubmissionQueue bufGroup(int group) {
        sqes.set(JAVA_SHORT, sqe + SqeLayout.BUF_INDEX_OFFSET, (short) group);
        return this;
    }

    SubmissionQueue spliceFdIn(int fd) {
        sqes.set(JAVA_INT, sqe + SqeLayout.SPLICE_FD_IN_OFFSET, fd);
        return this;
    }

    /**
     * Publishes the tail and returns how many SQEs the kernel has yet to consume. The tail is a
     * release store after the SQE writes: the kernel reads the SQEs as soon as it sees the tail,
     * so no SQE field may become visible after it.
     */
    int publish() {
        INT.setRelease(ring, tailOffset, tail);
        return unsubmitted();
    }

    /** The kernel's head: acquire, so that a consumed SQE is not overwritten before the kernel is done reading it. */
    private int lvHead() {
        return (int) INT.getAcquire(ring, headOffset);
    }

    /** sq_ring->flags (IORING_SQ_CQ_OVERFLOW, IORING_SQ_TASKRUN); the kernel sets them at any time. */
    int lvFlags() {
        return (int) INT.getAcquire(ring, flagsOffset);
    }
}
