/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.examples;

// README:begin
import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/** One carrier; a fibril spins until its neighbour ran, which only the hand-off makes possible. */
public class HandoffExample {
    public static void main(String[] args) throws Exception {
        try (FibrilRuntime rt = Fibril.runtime()
                .carriers(1)
                .handoffThreshold(Duration.ofMillis(5))   // the default; Duration.ZERO turns the hand-off off
                .maxSpareThreads(16)                      // the default bound on threads beyond one per carrier
                .build()) {
            System.out.println("hand-offs: " + spinUntilNeighbourRan(rt));
        }
    }

    static long spinUntilNeighbourRan(FibrilRuntime rt) throws InterruptedException {
        AtomicBoolean ran = new AtomicBoolean();
        Thread spinner = rt.start(() -> {
            rt.start(() -> ran.set(true));                // homed on the same, held carrier
            while (!ran.get()) {
                Thread.onSpinWait();                      // a CPU loop: it never parks
            }
        });
        spinner.join();
        return rt.stats().handoffs();
    }
}
// README:end
