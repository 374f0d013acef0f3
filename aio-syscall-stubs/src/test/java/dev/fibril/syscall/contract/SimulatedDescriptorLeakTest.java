package dev.fibril.syscall.contract;

class SimulatedDescriptorLeakTest extends DescriptorLeakContract {
    SimulatedDescriptorLeakTest() {
        super(BackendKind.SIMULATED);
    }
}
