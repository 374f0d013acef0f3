package dev.fibril.syscall.contract;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

class IoUringLinkTest extends LinkContract {
    @Override
    protected Backend openBackend() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), probe::reason);
        return new IoUringBackend();
    }
}
