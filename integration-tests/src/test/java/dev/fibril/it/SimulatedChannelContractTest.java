package dev.fibril.it;

import java.nio.file.Path;

class SimulatedChannelContractTest extends ChannelContractTest {
    @Override
    String backend() {
        return "simulated";
    }

    /** The simulated kernel reads back the size as set. */
    @Override
    int bufferSizeReadBack(int set) {
        return set;
    }

    @Override
    boolean kernelSockets() {
        return false;
    }

    @Override
    Path file(String name) {
        return Path.of("/contract", name);
    }
}
