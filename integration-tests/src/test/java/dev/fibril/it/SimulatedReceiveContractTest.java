package dev.fibril.it;

class SimulatedReceiveContractTest extends ReceiveContractTest {
    @Override
    String backend() {
        return "simulated";
    }
}
