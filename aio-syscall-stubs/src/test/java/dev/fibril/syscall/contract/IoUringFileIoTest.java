/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringFileIoTest extends FileIoContract {
    IoUringFileIoTest() {
        super(BackendKind.IO_URING);
    }
}
