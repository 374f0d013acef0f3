package dev.fibril.syscall.contract;

class IoUringSocketStateTest extends SocketStateContract {
    IoUringSocketStateTest() {
        super(BackendKind.IO_URING);
    }
}
