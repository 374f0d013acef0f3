/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class SimulatedDescriptorLeakTest extends DescriptorLeakContract {
    SimulatedDescriptorLeakTest() {
        super(BackendKind.SIMULATED);
    }
}
