/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

class SimulatedReceiveContractTest extends ReceiveContractTest {
    @Override
    String backend() {
        return "simulated";
    }
}
