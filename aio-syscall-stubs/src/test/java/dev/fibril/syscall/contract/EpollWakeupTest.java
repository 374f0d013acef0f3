/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class EpollWakeupTest extends WakeupContract {
    EpollWakeupTest() {
        super(BackendKind.EPOLL);
    }
}
