/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

/**
 * A carrier's lifecycle, with the moves it allows. {@link Carrier} moves it only through
 * {@link #checkMove}, so a move that this table does not draw is a bug that fails loudly.
 * <pre>
 *  RUNNING  -> STOPPING         the runtime closes: in-flight requests are cancelled and reaped
 *  RUNNING  -> FAILED           the ring failed {@link IoDriver#MAX_FAILURES} times in a row: it is
 *                               given up; fibrils still run and each of their I/O calls throws
 *  STOPPING -> FAILED_STOPPING  the ring failed while stopping
 *  FAILED   -> FAILED_STOPPING  the runtime closes a failed carrier
 *  STOPPING | FAILED_STOPPING -> TERMINATED   nothing left in the ring (or no ring): loop ended
 * </pre>
 */
enum CarrierLifecycle {
    RUNNING, STOPPING, FAILED, FAILED_STOPPING, TERMINATED;

    boolean stopping() {
        return this == STOPPING || this == FAILED_STOPPING;
    }

    boolean failed() {
        return this == FAILED || this == FAILED_STOPPING;
    }

    /** The state that stopping moves this one to. */
    CarrierLifecycle whenStopped() {
        return failed() ? FAILED_STOPPING : STOPPING;
    }

    /** The state that a ring failure moves this one to. */
    CarrierLifecycle whenFailed() {
        return stopping() ? FAILED_STOPPING : FAILED;
    }

    /** {@code to}, if this table allows the move from here; throws otherwise. */
    CarrierLifecycle checkMove(CarrierLifecycle to) {
        if (to == this) {
            return to; // stop() twice, or a stop that came after the end: nothing moves
        }
        boolean allowed = switch (this) {
            case RUNNING -> to == STOPPING || to == FAILED;
            case STOPPING -> to == FAILED_STOPPING || to == TERMINATED;
            case FAILED -> to == FAILED_STOPPING;
            case FAILED_STOPPING -> to == TERMINATED;
            case TERMINATED -> false;
        };
        if (!allowed) {
            throw new IllegalStateException("carrier lifecycle: no move from " + this + " to " + to);
        }
        return to;
    }
}
