/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.jetty.demo.DemoServer;
import dev.fibril.syscall.sim.SimulatedKernel;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;

/**
 * The servers every HTTP contract runs on: Jetty's own ServerConnector (the reference behaviour)
 * and the FibrilConnector with the FibrilThreadPool on io_uring, on epoll, and on the simulated
 * kernel, whose sockets live inside this JVM: only a Fibril client on the same kernel reaches it.
 */
enum ServerKind {
    SERVER_CONNECTOR,
    FIBRIL_IO_URING,
    FIBRIL_EPOLL,
    FIBRIL_SIMULATED;

    /** The connector, pool and backend; a simulated kernel is a fresh one for every server. */
    DemoServer.Options options() {
        DemoServer.Options o = new DemoServer.Options();
        return switch (this) {
            case SERVER_CONNECTOR -> o.connector(DemoServer.ConnectorKind.SERVER).pool(DemoServer.PoolKind.QUEUED);
            case FIBRIL_IO_URING -> fibril(o).backend("io_uring");
            case FIBRIL_EPOLL -> fibril(o).backend("epoll");
            // socket buffers as large as Linux lets loopback ones grow (tcp_rmem's 6 MiB): a test may
            // send a mebibyte before it reads
            case FIBRIL_SIMULATED -> fibril(o).backend(SimulatedKernel.builder().socketBufferBytes(6 * 1024 * 1024).build());
        };
    }

    private static DemoServer.Options fibril(DemoServer.Options o) {
        return o.connector(DemoServer.ConnectorKind.FIBRIL).pool(DemoServer.PoolKind.FIBRIL);
    }

    /** Why this kind cannot run here, or null when it can. */
    String unavailable() {
        if (this != FIBRIL_IO_URING) {
            return null;
        }
        IoUringProbe probe = IoUringBackend.probe();
        return probe.available() ? null : "io_uring cannot run here: " + probe.reason();
    }

    /** Whether the server listens on a real socket, which JDK sockets and the Jetty and JDK clients reach. */
    boolean realSockets() {
        return this != FIBRIL_SIMULATED;
    }
}
