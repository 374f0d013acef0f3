package dev.fibril.syscall.contract;

class EpollDescriptorLeakTest extends DescriptorLeakContract {
    EpollDescriptorLeakTest() {
        super(BackendKind.EPOLL);
    }
}
