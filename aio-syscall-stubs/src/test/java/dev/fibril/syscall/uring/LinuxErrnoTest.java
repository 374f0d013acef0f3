/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a CQE's res becomes before a caller sees it: kernel-internal codes never leave the backend. */
class LinuxErrnoTest {

    @Test
    void shouldTurnTheRestartCodesIntoEintr() {
        for (int code : new int[] {512, 513, 514, 516}) { // ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK
            assertEquals(-Errno.EINTR, LinuxErrno.userVisible(-code), "errno " + code);
        }
    }

    @Test
    void shouldTurnEnotsuppIntoEopnotsupp() {
        assertEquals(-Errno.EOPNOTSUPP, LinuxErrno.userVisible(-524));
    }

    @Test
    void shouldTurnEveryOtherKernelInternalCodeIntoEio() {
        for (int code = 512; code <= 4095; code++) {
            int mapped = LinuxErrno.userVisible(-code);
            assertEquals(true, mapped > -512 && mapped < 0, "errno " + code + " became " + mapped);
        }
        assertEquals(-Errno.EIO, LinuxErrno.userVisible(-515)); // ENOIOCTLCMD
        assertEquals(-Errno.EIO, LinuxErrno.userVisible(-529)); // EIOCBQUEUED
        assertEquals(-Errno.EIO, LinuxErrno.userVisible(-4095));
    }

    @Test
    void shouldLeaveResultsAndUserErrnosAlone() {
        for (int res : new int[] {0, 1, 65536, Integer.MAX_VALUE, -1, -Errno.ECANCELED, -511, -4096, Integer.MIN_VALUE}) {
            assertEquals(res, LinuxErrno.userVisible(res), "res " + res);
        }
    }
}
