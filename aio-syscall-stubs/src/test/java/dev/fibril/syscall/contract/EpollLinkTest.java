package dev.fibril.syscall.contract;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.epoll.EpollBackend;

class EpollLinkTest extends LinkContract {
    @Override
    protected Backend openBackend() {
        return new EpollBackend();
    }
}
