/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class SimulatedWakeupTest extends WakeupContract {
    SimulatedWakeupTest() {
        super(BackendKind.SIMULATED);
    }
}
