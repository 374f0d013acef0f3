/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

import dev.fibril.syscall.linux.NativeMemory;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A carrier's buffers for {@code FibrilSocketChannel.sendLater}: the bytes of a send that nobody
 * waits for are copied into one, which the send holds until its completion. Direct buffers of
 * {@link #SIZE} bytes, made one at a time as sends need them, at most {@link #MOST}; when all are
 * held, {@link #take} returns null and the caller sends the way that waits.
 *
 * <p>The memory is {@link NativeMemory}'s, not {@code allocateDirect}'s: a buffer is made inside a
 * section, where a wait for the collector at the JDK's direct-memory limit would hold the carrier's
 * thread; with no native memory left, {@link #take} returns null as when all are held. It is freed
 * with the carrier ({@link #free}).
 *
 * <p>Owner only: the carrier's loop, or a fibril inside a section of the carrier. Nothing
 * allocates once the buffers in use have been made.
 */
public final class SendBuffers {
    /** Bytes per buffer: the most one sendLater takes. */
    public static final int SIZE = 16 * 1024;
    /** Buffers per carrier, at most (1 MiB). */
    static final int MOST = 64;

    private final ByteBuffer[] free = new ByteBuffer[MOST];
    private final MemorySegment[] memory = new MemorySegment[MOST];
    private int freeTop;
    private int made;
    private int held;

    /** A cleared buffer, or null when {@link #MOST} are held. */
    public ByteBuffer take() {
        ByteBuffer b;
        if (freeTop > 0) {
            b = free[--freeTop];
            free[freeTop] = null;
        } else if (made < MOST && (memory[made] = NativeMemory.allocate(SIZE, 64)) != null) {
            b = memory[made++].asByteBuffer();
        } else {
            return null;
        }
        held++;
        return b.clear();
    }

    /** Gives back a buffer {@link #take} returned, once the kernel is done with it. */
    public void give(ByteBuffer b) {
        if (held == 0 || freeTop == MOST) {
            throw new IllegalStateException("a send buffer given back that was not taken");
        }
        held--;
        free[freeTop++] = b;
    }

    /** A held buffer the kernel may still read (its carrier gave up its ring): it is never given back. */
    public void abandon() {
        held--;
    }

    /**
     * The carrier terminated: frees the buffers, unless a send still holds one (a carrier that gave
     * up its ring: the kernel may still read it), in which case they are left to the process.
     */
    public void free() {
        if (held > 0) {
            return;
        }
        for (int i = 0; i < made; i++) {
            NativeMemory.free(memory[i]);
            memory[i] = null;
        }
        made = MOST; // no more are made: a late take() finds none
        freeTop = 0;
        java.util.Arrays.fill(free, null);
    }

    /** Buffers held by sends in flight (a racy read from other threads). */
    public int held() {
        return held;
    }
}
