/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DescriptorPoolTest {

    @Test
    void shouldGrowToItsBoundThenRefuse() {
        DescriptorPool pool = new DescriptorPool(2, 5);
        List<Descriptor> taken = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Descriptor d = pool.tryAcquire();
            assertNotNull(d, "descriptor " + i);
            taken.add(d);
        }
        assertNull(pool.tryAcquire(), "the pool never grows past its bound");
        assertEquals(5, pool.inUse());
        assertEquals(5, pool.capacity());
        assertEquals(5, pool.highWater());
        taken.forEach(pool::release);
        assertEquals(0, pool.inUse());
        assertEquals(5, pool.highWater());
    }

    @Test
    void shouldHandReleasedDescriptorsToWaitersInOrder() {
        DescriptorPool pool = new DescriptorPool(1, 1);
        Descriptor d = pool.tryAcquire();
        List<String> granted = new ArrayList<>();
        pool.await(recording(granted, "first"));
        pool.await(recording(granted, "second"));
        assertEquals(2, pool.waiting());
        assertEquals(2, pool.waits());
        pool.release(d);
        assertEquals(List.of("first"), granted);
        assertEquals(1, pool.inUse(), "handed over, not freed");
        assertEquals(Descriptor.TAKEN, d.state());
        pool.release(d);
        assertEquals(List.of("first", "second"), granted);
        pool.release(d);
        assertEquals(0, pool.inUse());
    }

    @Test
    void shouldRefuseToReleaseASubmittedDescriptor() {
        DescriptorPool pool = new DescriptorPool(1, 1);
        Descriptor d = pool.tryAcquire();
        d.submit();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.release(d));
        assertEquals("descriptor 0 released while SUBMITTED", e.getMessage());
    }

    @Test
    void shouldRejectInconsistentSizes() {
        assertThrows(IllegalArgumentException.class, () -> new DescriptorPool(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new DescriptorPool(4, 2));
    }

    private static PoolWaiter recording(List<String> granted, String name) {
        return new PoolWaiter() {
            @Override
            public void onGranted(Descriptor descriptor) {
                granted.add(name);
            }

            @Override
            public void onRefused() {
                granted.add(name + " refused");
            }
        };
    }
}
