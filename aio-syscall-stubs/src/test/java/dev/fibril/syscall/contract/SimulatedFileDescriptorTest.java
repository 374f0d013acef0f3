package dev.fibril.syscall.contract;

class SimulatedFileDescriptorTest extends FileDescriptorContract {
    SimulatedFileDescriptorTest() {
        super(BackendKind.SIMULATED);
    }
}
