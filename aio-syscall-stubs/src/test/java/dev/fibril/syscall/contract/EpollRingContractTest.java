package dev.fibril.syscall.contract;

class EpollRingContractTest extends RingContract {
    EpollRingContractTest() {
        super(BackendKind.EPOLL);
    }
}
