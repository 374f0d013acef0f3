/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringSocketStateTest extends SocketStateContract {
    IoUringSocketStateTest() {
        super(BackendKind.IO_URING);
    }
}
