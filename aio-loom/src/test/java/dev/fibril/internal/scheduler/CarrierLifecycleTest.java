/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static dev.fibril.internal.scheduler.CarrierLifecycle.FAILED;
import static dev.fibril.internal.scheduler.CarrierLifecycle.FAILED_STOPPING;
import static dev.fibril.internal.scheduler.CarrierLifecycle.RUNNING;
import static dev.fibril.internal.scheduler.CarrierLifecycle.STOPPING;
import static dev.fibril.internal.scheduler.CarrierLifecycle.TERMINATED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CarrierLifecycleTest {
    /** The table as drawn in CarrierLifecycle's comment; staying put is always allowed. */
    private static final Map<CarrierLifecycle, Set<CarrierLifecycle>> DRAWN = Map.of(
            RUNNING, EnumSet.of(RUNNING, STOPPING, FAILED),
            STOPPING, EnumSet.of(STOPPING, FAILED_STOPPING, TERMINATED),
            FAILED, EnumSet.of(FAILED, FAILED_STOPPING),
            FAILED_STOPPING, EnumSet.of(FAILED_STOPPING, TERMINATED),
            TERMINATED, EnumSet.of(TERMINATED));

    @Test
    void shouldAllowExactlyTheMovesTheTableDraws() {
        for (CarrierLifecycle from : CarrierLifecycle.values()) {
            for (CarrierLifecycle to : CarrierLifecycle.values()) {
                if (DRAWN.get(from).contains(to)) {
                    assertEquals(to, from.checkMove(to), from + " -> " + to);
                } else {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> from.checkMove(to),
                            from + " -> " + to + " is not drawn");
                    assertEquals("carrier lifecycle: no move from " + from + " to " + to, e.getMessage());
                }
            }
        }
    }

    @Test
    void shouldStopAndFailIntoTheStatesThatKeepBothFacts() {
        assertEquals(STOPPING, RUNNING.whenStopped());
        assertEquals(FAILED_STOPPING, FAILED.whenStopped());
        assertEquals(FAILED, RUNNING.whenFailed());
        assertEquals(FAILED_STOPPING, STOPPING.whenFailed());
    }
}
