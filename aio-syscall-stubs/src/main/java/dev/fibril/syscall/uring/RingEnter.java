/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.syscall.linux.TimespecLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.fibril.syscall.uring.IoUringConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A ring's io_uring_enter calls, counted, with their error policy. Owner thread only (the thread
 * that drives the ring; with SINGLE_ISSUER the one that enabled it, and no other: the kernel
 * answers any other with EEXIST). Allocates nothing per call: the timed wait's argument lives in
 * the ring's arena.
 */
final class RingEnter {
    private static final System.Logger LOG = System.getLogger("dev.fibril");

    private final int carrierIndex;
    private final int ringFd;
    private final MemorySegment callState;
    /** io_uring_getevents_arg followed by the timespec it points at. */
    private final MemorySegment waitArg;

    /** io_uring_enter calls; written by the owner only, so a foreign reader may see a slightly old count. */
    long kernelCalls;
    long errors;
    /** One bit per errno already logged (bit 63: any errno of 63 and up). */
    private long loggedErrors;

    RingEnter(int carrierIndex, int ringFd, MemorySegment callState, Arena arena) {
        this.carrierIndex = carrierIndex;
        this.ringFd = ringFd;
        this.callState = callState;
        this.waitArg = arena.allocate(EnterArgLayout.GETEVENTS_SIZE + TimespecLayout.SIZE, Long.BYTES);
        this.waitArg.set(JAVA_LONG, EnterArgLayout.GETEVENTS_TS_OFFSET, waitArg.address() + EnterArgLayout.GETEVENTS_SIZE);
    }

    /** Submits {@code toSubmit} SQEs without waiting. */
    int submit(int toSubmit) {
        return enter(toSubmit, 0, 0, 0, 0);
    }

    /**
     * Moves completions the kernel holds back into the CQ (its overflow list; task work under
     * COOP_TASKRUN or DEFER_TASKRUN), without waiting.
     */
    int flushCompletions() {
        return enter(0, 0, IORING_ENTER_GETEVENTS, 0, 0);
    }

    /** Submits {@code toSubmit} and waits for one CQE, {@code timeoutNanos} ({@code < 0}: no limit) or a signal. */
    int submitAndWait(int toSubmit, long timeoutNanos) {
        if (timeoutNanos < 0) {
            return enter(toSubmit, 1, IORING_ENTER_GETEVENTS, 0, 0);
        }
        TimespecLayout.setNanos(waitArg, EnterArgLayout.GETEVENTS_SIZE, timeoutNanos);
        return enter(toSubmit, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                waitArg.address(), EnterArgLayout.GETEVENTS_SIZE);
    }

    /**
     * io_uring_enter, counted. Returns the SQEs consumed or -errno. EINTR and ETIME (a wait ended
     * by a signal or its timeout) are ordinary; any other error (EBUSY or EAGAIN: the kernel took
     * nothing, for want of CQ room or memory; EBADR: a completion was dropped; EEXIST: a thread
     * other than a SINGLE_ISSUER ring's own) is counted, and logged the first time each errno is
     * seen, since the caller can only go on or reap.
     */
    private int enter(int toSubmit, int minComplete, int flags, long arg, long argSize) {
        kernelCalls++;
        int r = IoUringSyscalls.enter(callState, ringFd, toSubmit, minComplete, flags, arg, argSize);
        if (r < 0 && r != -Errno.EINTR && r != -Errno.ETIME) {
            onError(-r);
        }
        return r;
    }

    private void onError(int errno) {
        errors++;
        long bit = errno < 64 ? 1L << errno : 1L << 63;
        if ((loggedErrors & bit) == 0) {
            loggedErrors |= bit;
            String what = switch (errno) {
                case Errno.EBADR -> " (the kernel dropped a completion)";
                case Errno.EEXIST -> " (a thread other than the one bound to this SINGLE_ISSUER ring entered it)";
                default -> "; the carrier reaps and tries again";
            };
            LOG.log(errno == Errno.EBADR || errno == Errno.EEXIST ? System.Logger.Level.ERROR : System.Logger.Level.WARNING,
                    "io_uring ring " + carrierIndex + ": io_uring_enter failed with " + Errno.name(errno) + what
                            + "; further failures are counted, not logged");
        }
    }
}
