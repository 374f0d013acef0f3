/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.epoll.EpollBackend;
import dev.fibril.syscall.sim.SimulatedKernel;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;

import java.util.Locale;

/**
 * Chooses the backend: by name ({@code -Dfibril.backend} or the builder), else the best this
 * machine offers. Says once, in one log line, which one and why.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger("dev.fibril");

    private Backends() {
    }

    /** Opens the backend called {@code name}; null or empty picks the default. */
    public static Backend open(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "simulated" -> chosen(SimulatedKernel.builder().build(), "asked for by name");
            case "epoll" -> chosen(new EpollBackend(), "asked for by name");
            case "io_uring" -> {
                IoUringProbe probe = IoUringBackend.probe();
                if (!probe.available()) {
                    throw new IllegalStateException("Fibril backend 'io_uring' is not usable here: " + probe.reason()
                            + " (use -Dfibril.backend=epoll)");
                }
                yield chosen(new IoUringBackend(), "asked for by name");
            }
            case "" -> {
                IoUringProbe probe = IoUringBackend.probe();
                yield probe.available()
                        ? chosen(new IoUringBackend(), "default: the io_uring probe succeeded")
                        : chosen(new EpollBackend(), "default: io_uring is not usable here: " + probe.reason());
            }
            default -> throw new IllegalArgumentException("unknown Fibril backend '" + name
                    + "' (known: io_uring, epoll, simulated)");
        };
    }

    private static Backend chosen(Backend backend, String why) {
        LOG.log(System.Logger.Level.INFO, "Fibril backend: " + backend.name() + " (" + why + ")");
        return backend;
    }
}
