package dev.fibril.syscall.contract;

class IoUringSocketTest extends SocketContract {
    IoUringSocketTest() {
        super(BackendKind.IO_URING);
    }
}
