/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;

/**
 * The faults the simulated kernel injects, each with its own probability (see
 * {@link SimulatedKernelBuilder#fault}). Faults are decided on the ring's owner thread at flush
 * time from the ring's seeded random stream, so a seed replays the same faults.
 *
 * <p>"Data ops" are READ and WRITE on files and SEND, RECV, READ and WRITE on sockets.
 */
public enum Fault {
    /**
     * Data ops, and OPENAT, STATX, FTRUNCATE and SOCKET: the op has no effect and completes with
     * {@code -EINTR}. CLOSE too completes with {@code -EINTR}, but has released the fd, as Linux's
     * close(2) does (so nobody may close it again).
     */
    EINTR(-Errno.EINTR),
    /** Data ops: the op has no effect and completes with {@code -EAGAIN}. */
    EAGAIN(-Errno.EAGAIN),
    /** File READ, WRITE and FSYNC: the op has no effect and completes with {@code -EIO}. */
    EIO(-Errno.EIO),
    /** File READ and socket RECV of more than one byte: transfers a random count in {@code [1, length - 1]}. */
    SHORT_READ(0),
    /** File WRITE and socket SEND of more than one byte: transfers a random count in {@code [1, length - 1]}. */
    SHORT_WRITE(0),
    /**
     * Socket SEND and RECV: the connection is reset, as by an RST from the peer. The op moves no
     * data and completes with {@code -ECONNRESET}, and so does every RECV and SEND after it on either
     * end (those waiting complete at once); a poll of either end reports POLLERR and POLLHUP.
     */
    ECONNRESET(-Errno.ECONNRESET),
    /** Any op: adds a random latency in {@code [1, maxFaultDelay]} nanoseconds, which also reorders completions. */
    DELAY(0),
    /**
     * Any op that completes at flush time: its completion is delivered after those of the requests
     * that follow it in the same flush. Counted only where it applied (not for ops that wait).
     */
    REORDER(0);

    /** Number of kinds, for counter arrays ({@code values()} copies its array on every call). */
    static final int COUNT = values().length;

    private final int result;

    Fault(int result) {
        this.result = result;
    }

    /** The completion result an error fault substitutes ({@code -errno}), or 0 for faults that are not errors. */
    int result() {
        return result;
    }
}
