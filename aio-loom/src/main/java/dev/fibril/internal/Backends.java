package dev.fibril.internal;

import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.sim.SimulatedKernel;

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
            case "" -> chosen(SimulatedKernel.builder().build(),
                    "default: no kernel backend is built into this version");
            default -> throw new IllegalArgumentException("unknown Fibril backend '" + name
                    + "' (known: simulated)");
        };
    }

    private static Backend chosen(Backend backend, String why) {
        LOG.log(System.Logger.Level.INFO, "Fibril backend: " + backend.name() + " (" + why + ")");
        return backend;
    }
}
