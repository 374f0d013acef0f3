/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringFileDescriptorTest extends FileDescriptorContract {
    IoUringFileDescriptorTest() {
        super(BackendKind.IO_URING);
    }
}
