package dev.fibril.syscall.uring;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.CancelByReferenceContract;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

class IoUringCancelContractTest extends CancelByReferenceContract {
    @Override
    protected Backend openBackend() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), probe::reason);
        return new IoUringBackend();
    }
}
