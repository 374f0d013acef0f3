package dev.fibril.syscall.contract;

class IoUringSocketOptionTest extends SocketOptionContract {
    IoUringSocketOptionTest() {
        super(BackendKind.IO_URING);
    }
}
