package dev.fibril.syscall.contract;

class IoUringFileIoTest extends FileIoContract {
    IoUringFileIoTest() {
        super(BackendKind.IO_URING);
    }
}
