/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class SimulatedLinkTest extends LinkContract {
    SimulatedLinkTest() {
        super(BackendKind.SIMULATED);
    }
}
