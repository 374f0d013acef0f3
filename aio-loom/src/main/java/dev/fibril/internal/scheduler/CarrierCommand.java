/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

/**
 * Work a carrier runs on its own behalf (control plane): a foreign thread's request, a cancel
 * after a close, a loan. It runs in the loop's phase (see {@link Ownership}), never as a
 * fibril, so it may touch the carrier's state and is never handed off half-way.
 */
public interface CarrierCommand extends Runnable {
    /** The carrier terminated before running this command; tell whoever waits for it. */
    default void abandon() {
    }
}
