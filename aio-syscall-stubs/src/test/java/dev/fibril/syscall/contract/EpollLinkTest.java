package dev.fibril.syscall.contract;

class EpollLinkTest extends LinkContract {
    EpollLinkTest() {
        super(BackendKind.EPOLL);
    }
}
