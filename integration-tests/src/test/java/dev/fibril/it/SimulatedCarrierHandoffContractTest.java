package dev.fibril.it;

class SimulatedCarrierHandoffContractTest extends CarrierHandoffContractTest {
    @Override
    String backend() {
        return "simulated";
    }
}
