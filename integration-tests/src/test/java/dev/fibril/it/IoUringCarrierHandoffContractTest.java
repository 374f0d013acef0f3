/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

class IoUringCarrierHandoffContractTest extends CarrierHandoffContractTest {
    @BeforeAll
    static void requireIoUring() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
    }

    @Override
    String backend() {
        return "io_uring";
    }
}
