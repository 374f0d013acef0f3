package dev.fibril.syscall.contract;

class EpollSocketTest extends SocketContract {
    EpollSocketTest() {
        super(BackendKind.EPOLL);
    }
}
