package dev.fibril.syscall.contract;

class SimulatedSocketTest extends SocketContract {
    SimulatedSocketTest() {
        super(BackendKind.SIMULATED);
    }
}
