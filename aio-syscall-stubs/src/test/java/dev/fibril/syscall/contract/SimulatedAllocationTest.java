package dev.fibril.syscall.contract;

class SimulatedAllocationTest extends AllocationContract {
    SimulatedAllocationTest() {
        super(BackendKind.SIMULATED);
    }
}
