package dev.fibril.syscall.contract;

class IoUringFileDescriptorTest extends FileDescriptorContract {
    IoUringFileDescriptorTest() {
        super(BackendKind.IO_URING);
    }
}
