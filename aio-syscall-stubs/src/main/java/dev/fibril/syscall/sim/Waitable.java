/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

/** Something ops wait on (a connection, a listener), guarding its wait queues with its own monitor. */
interface Waitable {

    /**
     * Completes {@code op} with {@code -ECANCELED} if it still waits here. Returns false when it
     * was completed already (its completion is then on its way to the ring).
     */
    boolean cancel(PendingOp op);
}
