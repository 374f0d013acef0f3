package dev.fibril.syscall.epoll;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.CancelByReferenceContract;

class EpollCancelContractTest extends CancelByReferenceContract {
    @Override
    protected Backend openBackend() {
        return new EpollBackend();
    }
}
