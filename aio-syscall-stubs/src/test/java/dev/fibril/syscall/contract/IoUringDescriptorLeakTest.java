/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringDescriptorLeakTest extends DescriptorLeakContract {
    IoUringDescriptorLeakTest() {
        super(BackendKind.IO_URING);
    }
}
