package dev.fibril.syscall.contract;

class SimulatedCancelTest extends CancelContract {
    SimulatedCancelTest() {
        super(BackendKind.SIMULATED);
    }
}
