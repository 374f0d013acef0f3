/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The kernel backends behind the completion-ring SPI: io_uring through java.lang.foreign, epoll
 * through NIO, and the simulated kernel. Their packages are for the runtime only.
 *
 * <p>On the module path it needs {@code --enable-native-access=dev.fibril.syscall} (the FFM
 * downcalls) and, to hold off interrupts during a ring call, {@code --add-opens
 * java.base/java.lang=dev.fibril.syscall}.
 */
module dev.fibril.syscall {
    requires transitive dev.fibril.api;

    exports dev.fibril.syscall.epoll to dev.fibril.loom;
    exports dev.fibril.syscall.linux to dev.fibril.loom;
    exports dev.fibril.syscall.sim to dev.fibril.loom;
    exports dev.fibril.syscall.uring to dev.fibril.loom;
}
