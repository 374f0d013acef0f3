package dev.fibril.syscall.contract;

class SimulatedRingContractTest extends RingContract {
    SimulatedRingContractTest() {
        super(BackendKind.SIMULATED);
    }
}
