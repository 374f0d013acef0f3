/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import org.junit.jupiter.api.Test;

import static dev.fibril.internal.scheduler.Ownership.CALL;
import static dev.fibril.internal.scheduler.Ownership.FIBRIL;
import static dev.fibril.internal.scheduler.Ownership.HANDED_OFF;
import static dev.fibril.internal.scheduler.Ownership.LOOP;
import static dev.fibril.internal.scheduler.Ownership.word;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The edges of the ownership word, one thread playing both the driver and the monitor. */
class OwnershipWordTest {
    private final Ownership ownership = new Ownership(null);

    @Test
    void shouldLetTheMonitorTakeOnlyAThreadThatRunsAFibril() {
        ownership.takeOver(7);
        assertFalse(ownership.tryHandOff(ownership.word()), "in the loop: not taken");
        ownership.startFibril(7);
        long running = ownership.word();
        assertEquals(word(7, FIBRIL), running);
        assertTrue(ownership.tryHandOff(running));
        assertEquals(word(8, HANDED_OFF), ownership.word(), "the spare gets the next epoch");
        assertFalse(ownership.endFibril(7), "the held thread learns it lost the carrier when its fibril stops");
        assertEquals(word(8, HANDED_OFF), ownership.word(), "and moves nothing");
    }

    @Test
    void shouldNotTakeAWordThatChangedSinceTheMonitorSawIt() {
        ownership.takeOver(3);
        ownership.startFibril(3);
        long seen = ownership.word();
        assertTrue(ownership.endFibril(3));
        ownership.startFibril(3); // another run: the same word again, but the monitor compares ticks too
        assertNotEquals(0, ownership.tick());
        assertTrue(ownership.endFibril(3));
        assertFalse(ownership.tryHandOff(seen), "the thread is back in its loop");
        assertEquals(word(3, LOOP), ownership.word());
    }

    @Test
    void shouldNeverTakeAThreadInsideTheRuntime() {
        assertFalse(ownership.tryHandOff(word(5, CALL)));
        assertFalse(ownership.tryHandOff(word(5, LOOP)));
        assertFalse(ownership.tryHandOff(word(5, HANDED_OFF)));
    }

    @Test
    void shouldKeepEpochAndPhaseApart() {
        long w = word(123_456_789_012L, CALL);
        assertEquals(123_456_789_012L, Ownership.epoch(w));
        assertEquals(CALL, Ownership.phase(w));
    }
}
