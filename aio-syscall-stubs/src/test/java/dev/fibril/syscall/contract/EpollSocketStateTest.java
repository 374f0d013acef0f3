package dev.fibril.syscall.contract;

class EpollSocketStateTest extends SocketStateContract {
    EpollSocketStateTest() {
        super(BackendKind.EPOLL);
    }
}
