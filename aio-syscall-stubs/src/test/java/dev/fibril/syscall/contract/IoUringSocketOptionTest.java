/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class IoUringSocketOptionTest extends SocketOptionContract {
    IoUringSocketOptionTest() {
        super(BackendKind.IO_URING);
    }
}
