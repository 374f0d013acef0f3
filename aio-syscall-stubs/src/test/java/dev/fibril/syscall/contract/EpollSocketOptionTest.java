package dev.fibril.syscall.contract;

class EpollSocketOptionTest extends SocketOptionContract {
    EpollSocketOptionTest() {
        super(BackendKind.EPOLL);
    }
}
