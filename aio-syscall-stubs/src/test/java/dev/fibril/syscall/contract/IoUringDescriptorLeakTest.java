package dev.fibril.syscall.contract;

class IoUringDescriptorLeakTest extends DescriptorLeakContract {
    IoUringDescriptorLeakTest() {
        super(BackendKind.IO_URING);
    }
}
