package dev.fibril.syscall.contract;

class EpollFileIoTest extends FileIoContract {
    EpollFileIoTest() {
        super(BackendKind.EPOLL);
    }
}
