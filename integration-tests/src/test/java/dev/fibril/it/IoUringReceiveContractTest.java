/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.syscall.uring.IoUringBackend;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

class IoUringReceiveContractTest extends ReceiveContractTest {
    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.probe().available(), () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
    }

    @Override
    boolean kernelPicks() {
        return IoUringBackend.probe().refused(dev.fibril.syscall.uring.IoUringFeature.PBUF_RING) == null;
    }

    @Override
    String backend() {
        return "io_uring";
    }
}
