package dev.fibril.it;

import java.nio.file.Path;

class SimulatedChannelContractTest extends ChannelContractTest {
    @Override
    String backend() {
        return "simulated";
    }

    @Override
    Path file(String name) {
        return Path.of("/contract", name);
    }
}
