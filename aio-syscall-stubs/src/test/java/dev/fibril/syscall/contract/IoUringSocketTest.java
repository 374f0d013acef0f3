/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringSocketTest extends SocketContract {
    IoUringSocketTest() {
        super(BackendKind.IO_URING);
    }
}
