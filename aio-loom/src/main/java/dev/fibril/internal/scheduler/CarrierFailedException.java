/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import java.nio.channels.ClosedChannelException;

/**
 * A call was made on, or was waiting in, a carrier whose loop failed and no longer drives its
 * ring (see {@code Carrier}). The request, if it was submitted, may still be held by the kernel:
 * its buffer stays reachable and its descriptor is never reused.
 */
public final class CarrierFailedException extends ClosedChannelException {
    private final String message;

    CarrierFailedException(String message, Throwable cause) {
        this.message = message;
        initCause(cause);
    }

    @Override
    public String getMessage() {
        return message;
    }
}
