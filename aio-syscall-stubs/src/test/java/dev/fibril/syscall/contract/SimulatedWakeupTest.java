package dev.fibril.syscall.contract;

class SimulatedWakeupTest extends WakeupContract {
    SimulatedWakeupTest() {
        super(BackendKind.SIMULATED);
    }
}
