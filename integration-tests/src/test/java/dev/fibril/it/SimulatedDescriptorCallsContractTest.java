/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.sim.SimulatedKernel;

import java.nio.file.Path;

class SimulatedDescriptorCallsContractTest extends DescriptorCallsContractTest {
    @Override
    Backend backend() {
        return SimulatedKernel.builder().seed(7).build();
    }

    @Override
    Path file(String name) {
        return Path.of("/descriptor-calls", name);
    }
}
