package dev.fibril.syscall.contract;

class EpollFileDescriptorTest extends FileDescriptorContract {
    EpollFileDescriptorTest() {
        super(BackendKind.EPOLL);
    }
}
