/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringRingContractTest extends RingContract {
    IoUringRingContractTest() {
        super(BackendKind.IO_URING);
    }
}
