/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class EpollFileDescriptorTest extends FileDescriptorContract {
    EpollFileDescriptorTest() {
        super(BackendKind.EPOLL);
    }
}
