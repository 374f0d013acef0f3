/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

/** Tells a request whose channel was closed under it to cancel itself. Any thread. */
@FunctionalInterface
public interface CloseSignal {
    CloseSignal NEVER = () -> false;

    boolean isClosed();
}
