package dev.fibril.syscall.contract;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.sim.SimulatedKernel;

class SimulatedLinkTest extends LinkContract {
    @Override
    protected Backend openBackend() {
        return SimulatedKernel.builder().build();
    }
}
