package dev.fibril.syscall.contract;

class SimulatedFileIoTest extends FileIoContract {
    SimulatedFileIoTest() {
        super(BackendKind.SIMULATED);
    }
}
