package dev.fibril.syscall.contract;

class IoUringWakeupTest extends WakeupContract {
    IoUringWakeupTest() {
        super(BackendKind.IO_URING);
    }
}
