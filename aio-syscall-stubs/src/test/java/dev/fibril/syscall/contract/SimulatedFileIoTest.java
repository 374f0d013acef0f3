/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

class SimulatedFileIoTest extends FileIoContract {
    SimulatedFileIoTest() {
        super(BackendKind.SIMULATED);
    }
}
