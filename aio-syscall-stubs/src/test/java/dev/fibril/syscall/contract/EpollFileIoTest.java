/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class EpollFileIoTest extends FileIoContract {
    EpollFileIoTest() {
        super(BackendKind.EPOLL);
    }
}
