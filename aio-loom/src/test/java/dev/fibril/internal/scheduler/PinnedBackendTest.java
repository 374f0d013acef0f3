/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.Backend;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PinnedBackendTest {

    /** A Backend method that PinnedBackend only inherits would bypass the wrapped backend (its default answers instead). */
    @Test
    void shouldForwardEveryBackendMethod() throws Exception {
        for (Method m : Backend.class.getMethods()) {
            Method own = PinnedBackend.class.getMethod(m.getName(), m.getParameterTypes());
            assertEquals(PinnedBackend.class, own.getDeclaringClass(), "PinnedBackend must forward " + m);
        }
    }
}
