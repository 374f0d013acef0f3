/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class SimulatedCancelTest extends CancelContract {
    SimulatedCancelTest() {
        super(BackendKind.SIMULATED);
    }
}
