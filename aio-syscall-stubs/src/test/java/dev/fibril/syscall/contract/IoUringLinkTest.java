/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringLinkTest extends LinkContract {
    IoUringLinkTest() {
        super(BackendKind.IO_URING);
    }
}
