package dev.fibril.syscall.contract;

class EpollCancelTest extends CancelContract {
    EpollCancelTest() {
        super(BackendKind.EPOLL);
    }
}
