/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import java.util.Arrays;

/** A ring's pool of {@link PendingOp}s, indexed by slot. Owner thread only; grows when every slot waits. */
final class PendingOpTable {
    private final SimulatedRing ring;
    private PendingOp[] ops = new PendingOp[0];
    private int[] free = new int[0];
    private int freeCount;

    PendingOpTable(SimulatedRing ring, int initialSlots) {
        this.ring = ring;
        grow(initialSlots);
    }

    PendingOp acquire() {
        if (freeCount == 0) {
            grow(ops.length * 2);
        }
        PendingOp op = ops[free[--freeCount]];
        op.inUse = true;
        return op;
    }

    void release(PendingOp op) {
        op.clear();
        free[freeCount++] = op.slot;
    }

    PendingOp get(int slot) {
        return ops[slot];
    }

    /** Cancels the op in {@code slot} if it still waits for the request of {@code token}; true when it did. */
    boolean cancel(int slot, long token) {
        PendingOp op = ops[slot];
        return op.inUse && op.token == token && op.waitable != null && op.waitable.cancel(op);
    }

    /** Cancels every op still waiting, so that no socket keeps an op of a closed ring. */
    void cancelAll() {
        for (PendingOp op : ops) {
            if (op.inUse && op.waitable != null) {
                op.waitable.cancel(op);
            }
        }
    }

    private void grow(int slots) {
        int old = ops.length;
        ops = Arrays.copyOf(ops, slots);
        free = Arrays.copyOf(free, slots);
        for (int slot = slots - 1; slot >= old; slot--) {
            ops[slot] = new PendingOp(ring, slot);
            free[freeCount++] = slot;
        }
    }
}
