/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

class SimulatedCarrierHandoffContractTest extends CarrierHandoffContractTest {
    @Override
    String backend() {
        return "simulated";
    }
}
