package dev.fibril.syscall.sim;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.CancelByReferenceContract;

class SimulatedCancelContractTest extends CancelByReferenceContract {
    @Override
    protected Backend openBackend() {
        return SimulatedKernel.builder().build();
    }
}
