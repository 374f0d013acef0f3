/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class EpollSocketOptionTest extends SocketOptionContract {
    EpollSocketOptionTest() {
        super(BackendKind.EPOLL);
    }
}
