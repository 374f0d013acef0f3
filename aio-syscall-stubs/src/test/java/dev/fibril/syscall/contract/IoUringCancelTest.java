package dev.fibril.syscall.contract;

class IoUringCancelTest extends CancelContract {
    IoUringCancelTest() {
        super(BackendKind.IO_URING);
    }
}
