/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

/** What an fd of the simulated kernel refers to. */
sealed interface Descriptor permits OpenFile, MemorySocket {

    /** Called once, after the fd was removed from the table: completes whatever still waits on it. */
    void close();
}
