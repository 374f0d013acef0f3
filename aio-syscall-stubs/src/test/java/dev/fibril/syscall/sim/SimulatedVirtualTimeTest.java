/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static dev.fibril.syscall.RingDriver.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Virtual time: a ring that waits with nothing due moves the clock to what is due next, at once. */
class SimulatedVirtualTimeTest {
    private final SimulatedKernel kernel = SimulatedKernel.builder().virtualTime()
            .latency(Latency.fixed(Duration.ofMillis(3))).build();
    private final RingDriver driver = new RingDriver(kernel.openRing(0));

    @AfterEach
    void closeEverything() {
        driver.ring().close();
        kernel.close();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldMoveTheClockToTheNextDueCompletionInsteadOfSleeping() {
        long hour = TimeUnit.HOURS.toNanos(1);
        IoRequest timer = driver.submit(request(Op.TIMEOUT, -1, null, 0, 0, hour));
        IoRequest nop = driver.submit(request(Op.NOP, -1, null, 0, 0, 0));
        assertEquals(0, kernel.virtualClock().getAsLong(), "nothing moves the clock but a wait");
        driver.reap();
        assertFalse(driver.hasResult(nop), "due after its 3 ms latency");

        driver.ring().await(-1);
        assertEquals(TimeUnit.MILLISECONDS.toNanos(3), kernel.virtualClock().getAsLong(), "moved to the NOP's completion");
        assertEquals(0, driver.resultNow(nop));
        assertFalse(driver.hasResult(timer));

        driver.ring().await(-1); // an hour, in no time
        assertEquals(hour + TimeUnit.MILLISECONDS.toNanos(3), kernel.virtualClock().getAsLong());
        assertEquals(-Errno.ETIME, driver.resultNow(timer));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldStillSleepWhenNothingIsPendingUntilTheRealTimeout() {
        driver.ring().await(TimeUnit.MILLISECONDS.toNanos(20));
        assertEquals(0, kernel.virtualClock().getAsLong(), "no completion to move to: the clock stays");
    }
}
