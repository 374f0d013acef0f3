/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

import java.nio.ByteBuffer;

/**
 * A carrier's buffers for {@code FibrilSocketChannel.sendLater}: the bytes of a send that nobody
 * waits for are copied into one, which the send holds until its completion. Direct buffers of
 * {@link #SIZE} bytes, made one at a time as sends need them, at most {@link #MOST}; when all are
 * held, {@link #take} returns null and the caller sends the way that waits.
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
    private int freeTop;
    private int made;
    private int held;

    /** A cleared buffer, or null when {@link #MOST} are held. */
    public ByteBuffer take() {
        ByteBuffer b;
        if (freeTop > 0) {
            b = free[--freeTop];
            free[freeTop] = null;
        } else if (made < MOST) {
            b = ByteBuffer.allocateDirect(SIZE);
            made++;
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

    /** Buffers held by sends in flight (a racy read from other threads). */
    public int held() {
        return held;
    }
}
