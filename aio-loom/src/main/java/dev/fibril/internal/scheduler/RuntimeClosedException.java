/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import java.nio.channels.ClosedChannelException;

/** A call reached a Fibril runtime that is closing or closed. */
public final class RuntimeClosedException extends ClosedChannelException {
    private final String message;

    public RuntimeClosedException(String message) {
        this.message = message;
    }

    @Override
    public String getMessage() {
        return message;
    }
}
