package dev.fibril.syscall.contract;

class EpollAllocationTest extends AllocationContract {
    EpollAllocationTest() {
        super(BackendKind.EPOLL);
    }
}
