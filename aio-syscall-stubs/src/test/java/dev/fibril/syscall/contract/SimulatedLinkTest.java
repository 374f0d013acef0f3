package dev.fibril.syscall.contract;

class SimulatedLinkTest extends LinkContract {
    SimulatedLinkTest() {
        super(BackendKind.SIMULATED);
    }
}
