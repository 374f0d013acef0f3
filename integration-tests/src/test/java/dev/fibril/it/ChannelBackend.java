/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;

import java.nio.file.Path;

/** The backends every channel contract runs on, with what differs between them. */
enum ChannelBackend {
    IO_URING("io_uring"),
    EPOLL("epoll"),
    SIMULATED("simulated");

    private final String name;

    ChannelBackend(String name) {
        this.name = name;
    }

    /** The backend's name for the builder. */
    String backendName() {
        return name;
    }

    /** Why this backend cannot run here, or null when it can. */
    String unavailable() {
        if (this != IO_URING) {
            return null;
        }
        IoUringProbe probe = IoUringBackend.probe();
        return probe.available() ? null : "io_uring cannot run here: " + probe.reason();
    }

    /** What getOption reads back for a buffer size of {@code set} bytes: Linux keeps (and reports) twice the request; the simulated kernel the size as set. */
    int bufferSizeReadBack(int set) {
        return this == SIMULATED ? set : 2 * set;
    }

    /** Whether the backend's sockets are the kernel's, which /proc and getsockopt(2) can see. */
    boolean kernelSockets() {
        return this != SIMULATED;
    }

    /** Where this backend's files live: {@code tempDir}, or the simulated kernel's namespace. */
    Path file(Path tempDir, String name) {
        return this == SIMULATED ? Path.of("/contract", name) : tempDir.resolve(name);
    }
}
