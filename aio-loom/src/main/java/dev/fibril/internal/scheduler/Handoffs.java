package dev.fibril.internal.scheduler;

import java.time.Duration;

/** Placeholder: the hand-off monitor and its spare threads (being built). */
public final class Handoffs {
    private final Duration threshold;
    private final int maxSpares;

    Handoffs(Duration threshold, int maxSpares) {
        this.threshold = threshold;
        this.maxSpares = maxSpares;
    }

    public long handoffs() {
        return 0;
    }

    public int spareThreads() {
        return 0;
    }

    public long refused() {
        return 0;
    }
}
