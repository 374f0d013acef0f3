/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringWakeupTest extends WakeupContract {
    IoUringWakeupTest() {
        super(BackendKind.IO_URING);
    }
}
