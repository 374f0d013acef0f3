package dev.fibril.it;

class SimulatedReceiveContractTest extends ReceiveContractTest {
    /** The simulated kernel has no POLL_ADD: its receive takes the buffer before it waits. */
    @Override
    boolean waitsWithoutABuffer() {
        return false;
    }

    @Override
    String backend() {
        return "simulated";
    }
}
