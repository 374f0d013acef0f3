package dev.fibril.syscall.contract;

class SimulatedSocketOptionTest extends SocketOptionContract {
    SimulatedSocketOptionTest() {
        super(BackendKind.SIMULATED);
    }
}
