/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounce pool grows for a burst and gives the burst's native memory back once it is over. */
class BounceBufferPoolTest {

    @Test
    void shouldShrinkBackToItsRetainedBuffersAfterABurst() {
        try (Arena arena = Arena.ofConfined()) {
            BounceBufferPool pool = new BounceBufferPool(arena, 4096, 4);
            assertEquals(4, pool.allocated());
            int[] taken = new int[37];
            Set<Integer> distinct = new HashSet<>();
            for (int i = 0; i < taken.length; i++) {
                taken[i] = pool.acquire();
                distinct.add(taken[i]);
                ByteBuffer src = ByteBuffer.allocate(1).put(0, (byte) i);
                pool.copyIn(taken[i], src, 0, 1);
            }
            assertEquals(taken.length, distinct.size(), "no buffer is handed out twice");
            assertEquals(taken.length, pool.allocated());
            for (int i = 0; i < taken.length; i++) {
                ByteBuffer dst = ByteBuffer.allocate(1);
                pool.copyOut(taken[i], dst, 0, 1);
                assertEquals((byte) i, dst.get(0), "each buffer kept its own bytes");
            }
            for (int index : taken) {
                pool.release(index);
            }
            assertTrue(pool.allocated() >= 4 && pool.allocated() <= 4 + 4,
                    "the retained buffers stay, with at most as many spare; the rest goes: " + pool.allocated());
            for (int round = 0; round < 3; round++) { // a second burst reuses the vacant indices
                int[] again = new int[20];
                for (int i = 0; i < again.length; i++) {
                    again[i] = pool.acquire();
                    assertTrue(pool.address(again[i]) != 0);
                }
                for (int index : again) {
                    pool.release(index);
                }
                assertTrue(pool.allocated() <= 8, "allocated after burst " + round + ": " + pool.allocated());
            }
        }
    }
}
