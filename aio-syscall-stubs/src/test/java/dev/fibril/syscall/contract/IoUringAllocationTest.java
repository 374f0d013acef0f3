package dev.fibril.syscall.contract;

class IoUringAllocationTest extends AllocationContract {
    IoUringAllocationTest() {
        super(BackendKind.IO_URING);
    }
}
