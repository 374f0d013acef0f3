/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringCancelTest extends CancelContract {
    IoUringCancelTest() {
        super(BackendKind.IO_URING);
    }
}
