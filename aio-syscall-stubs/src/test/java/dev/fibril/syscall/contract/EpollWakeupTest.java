package dev.fibril.syscall.contract;

class EpollWakeupTest extends WakeupContract {
    EpollWakeupTest() {
        super(BackendKind.EPOLL);
    }
}
