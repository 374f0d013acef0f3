/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.epoll.EpollBackend;

/** On epoll the ring performs each call at submission, with the backend's synchronous call. */
class EpollDescriptorCallsContractTest extends DescriptorCallsContractTest {
    @Override
    Backend backend() {
        return new EpollBackend();
    }
}
