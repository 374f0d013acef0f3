package dev.fibril.syscall.contract;

class SimulatedSocketStateTest extends SocketStateContract {
    SimulatedSocketStateTest() {
        super(BackendKind.SIMULATED);
    }
}
