package dev.fibril.syscall.contract;

class IoUringRingContractTest extends RingContract {
    IoUringRingContractTest() {
        super(BackendKind.IO_URING);
    }
}
