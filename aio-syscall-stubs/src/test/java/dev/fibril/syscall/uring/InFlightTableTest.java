/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The ring's one identity check: a CQE or a cancel finds its request through the slot token,
 * and a token of a slot whose generation moved on finds nothing, so a stale completion is never
 * delivered and a stale cancel never hits the slot's next request. No kernel needed.
 */
class InFlightTableTest {

    @Test
    void shouldFindARequestInTheKernelByItsTokenOnly() {
        InFlightTable table = new InFlightTable(16);
        try {
            IoRequest first = nop();
            int slot = table.acquire(first);
            assertEquals(table.sqeUserData(slot), first.ringToken(), "the ring token is the SQE's user_data");
            assertEquals(-1, table.slotOf(first.ringToken()), "not in the kernel before its SQE is written");
            table.markKernel(slot, null, 0, -1);
            assertEquals(slot, table.slotOf(first.ringToken()));
            assertEquals(slot, table.slotInKernel(first));
            assertSame(first, table.request(slot));
            long stale = first.ringToken();
            table.release(slot);

            IoRequest second = nop();
            assertEquals(slot, table.acquire(second), "the freed slot is taken again");
            table.markKernel(slot, null, 0, -1);
            assertNotEquals(stale, second.ringToken(), "same slot, new generation");
            assertEquals(-1, table.slotOf(stale), "a CQE of the old generation is stale");
            assertEquals(-1, table.slotInKernel(first), "a cancel of the completed request finds nothing");
            assertEquals(slot, table.slotInKernel(second));
        } finally {
            table.freeScratch();
        }
    }

    @Test
    void shouldFindNothingForTokensItNeverGave() {
        InFlightTable table = new InFlightTable(16);
        try {
            int slot = table.acquire(nop());
            table.markKernel(slot, null, 0, -1);
            IoRequest stranger = nop(); // never enqueued: its token is 0, the token of slot 0 generation 0
            assertEquals(-1, table.slotInKernel(stranger), "the slot holds another request");
            assertEquals(-1, table.slotInKernel(null));
            assertEquals(-1, table.slotOf(-1L), "the ring's own user_data is never a slot's");
            assertEquals(-1, table.slotOf(1_000_000L), "a slot outside the table");
        } finally {
            table.freeScratch();
        }
    }

    private static IoRequest nop() {
        IoRequest r = new IoRequest();
        r.prepare(Op.NOP, -1, null, 0, 0, 0);
        return r;
    }
}
