/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import java.nio.file.Path;

class SimulatedCarrierNeighboursContractTest extends CarrierNeighboursContractTest {
    @Override
    String backend() {
        return "simulated";
    }

    @Override
    Path file(String name) {
        return Path.of("/neighbours", name);
    }
}
