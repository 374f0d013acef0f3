/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class EpollLinkTest extends LinkContract {
    EpollLinkTest() {
        super(BackendKind.EPOLL);
    }
}
