/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

/** sendFile on epoll: no SPLICE there, so it reads and sends; the same contract holds. */
class EpollSendFileTest extends SendFileContractTest {
    @Override
    String backend() {
        return "epoll";
    }
}
