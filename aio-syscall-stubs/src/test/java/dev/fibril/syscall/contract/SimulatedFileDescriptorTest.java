/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class SimulatedFileDescriptorTest extends FileDescriptorContract {
    SimulatedFileDescriptorTest() {
        super(BackendKind.SIMULATED);
    }
}
