/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

/** A caller waiting for a descriptor while the pool is at its bound. Carrier thread only. */
public interface PoolWaiter {
    /** The pool hands {@code descriptor} (already TAKEN) to this waiter. */
    void onGranted(Descriptor descriptor);

    /** The pool will grant nothing: its carrier is terminating or has failed. */
    void onRefused();
}
