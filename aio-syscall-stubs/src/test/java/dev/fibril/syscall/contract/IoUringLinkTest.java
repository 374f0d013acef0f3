package dev.fibril.syscall.contract;

class IoUringLinkTest extends LinkContract {
    IoUringLinkTest() {
        super(BackendKind.IO_URING);
    }
}
