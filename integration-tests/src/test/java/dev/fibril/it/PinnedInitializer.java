/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;

/**
 * Runs code inside a class initializer, where a virtual thread that parks stays pinned to its
 * carrier's thread (JDK 25 unmounts a virtual thread blocked on a monitor, but not one blocked in
 * {@code <clinit>}). A class is initialized once per JVM, so each call defines a fresh hidden copy
 * of {@link Trampoline}, whose initializer runs the caller's body: the test can run on every
 * backend, and run again, each time in a new initializer.
 */
final class PinnedInitializer {
    interface Body {
        void run() throws Exception;
    }

    private static final ThreadLocal<Body> BODY = new ThreadLocal<>();
    private static final byte[] TRAMPOLINE = bytesOf(Trampoline.class);

    private PinnedInitializer() {
    }

    /**
     * Runs {@code body} on the current thread inside the static initializer of a class defined for
     * this call; what it throws is rethrown.
     */
    static void run(Body body) throws Exception {
        MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClass(TRAMPOLINE, false,
                MethodHandles.Lookup.ClassOption.NESTMATE);
        BODY.set(body);
        try {
            hidden.ensureInitialized(hidden.lookupClass());
        } catch (ExceptionInInitializerError e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        } finally {
            BODY.remove();
        }
    }

    /** Called from {@link Trampoline}'s initializer: runs the body its thread was given. */
    static void runBody() throws Exception {
        BODY.get().run();
    }

    private static byte[] bytesOf(Class<?> c) {
        String name = c.getName().substring(c.getPackageName().length() + 1) + ".class";
        try (InputStream in = c.getResourceAsStream(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Never initialized itself: only its hidden copies are. */
    static final class Trampoline {
        static {
            try {
                runBody();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private Trampoline() {
        }
    }
}
