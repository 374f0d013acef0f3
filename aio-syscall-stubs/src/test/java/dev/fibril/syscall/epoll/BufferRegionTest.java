/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A heap buffer's region goes to NIO as the ring's own native bounce (NIO would otherwise take a
 * temporary direct buffer, which can wait for the collector on the carrier's thread): a write
 * sends the region's bytes, a read lands in the region and nowhere else, at most
 * {@link BufferRegion#BOUNCE} bytes a call; a direct buffer is lent as itself.
 */
class BufferRegionTest {
    private final BufferRegion region = new BufferRegion();

    @Test
    void shouldBounceAHeapBufferWriteWithTheRegionsBytes() {
        ByteBuffer heap = ByteBuffer.allocate(32);
        for (int i = 0; i < 32; i++) {
            heap.put(i, (byte) i);
        }
        ByteBuffer b = region.open(heap.asReadOnlyBuffer(), 8, 4, false);
        try {
            assertTrue(b.isDirect());
            assertEquals(4, b.remaining());
            assertEquals(8, b.get(0));
            assertEquals(11, b.get(3));
        } finally {
            region.close();
        }
        region.free();
    }

    @Test
    void shouldCopyWhatAReadGotIntoTheRegionOnly() {
        ByteBuffer heap = ByteBuffer.allocate(16);
        ByteBuffer b = region.open(heap, 4, 8, true);
        try {
            b.put(new byte[] {1, 2, 3});
            assertEquals(3, region.filled(3));
        } finally {
            region.close();
        }
        assertEquals(0, heap.get(3));
        assertEquals(1, heap.get(4));
        assertEquals(3, heap.get(6));
        assertEquals(0, heap.get(7));
        assertEquals(0, heap.position(), "the caller's position is untouched");
        region.free();
    }

    @Test
    void shouldMoveAtMostOneBouncePerCallAndLendADirectBufferAsItself() {
        ByteBuffer big = ByteBuffer.allocate(BufferRegion.BOUNCE * 2);
        ByteBuffer b = region.open(big, 0, big.capacity(), true);
        assertEquals(BufferRegion.BOUNCE, b.remaining());
        assertNotSame(big, b);
        region.close();
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        assertSame(direct, region.open(direct, 0, 64, true));
        region.close();
        region.free();
    }
}
