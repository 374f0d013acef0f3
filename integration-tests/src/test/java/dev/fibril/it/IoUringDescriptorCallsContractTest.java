/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.uring.IoUringBackend;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

class IoUringDescriptorCallsContractTest extends DescriptorCallsContractTest {
    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.probe().available(), () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
    }

    @Override
    Backend backend() {
        return new IoUringBackend();
    }
}
