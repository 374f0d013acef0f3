/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

class EpollReceiveContractTest extends ReceiveContractTest {
    @Override
    String backend() {
        return "epoll";
    }
}
