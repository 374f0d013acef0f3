/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.jdk;

/**
 * Keeps the JDK's socket poller off Fibril's carriers.
 *
 * <p>{@code sun.nio.ch.Poller} starts its sub-poller virtual threads from its static
 * initializer with {@code Thread.ofVirtual()}, which inherits the scheduler of the virtual thread
 * that triggered the initialization. If that is a fibril, the JDK's pollers run on Fibril's
 * carriers and stop when the runtime closes, and every default virtual thread in the JVM then
 * hangs in socket I/O. Initializing the class from a fresh platform thread before any carrier
 * starts gives the pollers the JDK's default scheduler.
 */
public final class JdkPoller {
    private static volatile boolean initialized;

    private JdkPoller() {
    }

    /** Initializes the JDK poller on a platform thread, once per JVM. */
    public static void ensureOnDefaultScheduler() {
        if (initialized) {
            return;
        }
        synchronized (JdkPoller.class) {
            if (initialized) {
                return;
            }
            Thread t = Thread.ofPlatform().name("fibril-jdk-poller-init").unstarted(JdkPoller::initialize);
            t.start();
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return; // the next runtime start tries again
            }
            initialized = true;
        }
    }

    private static void initialize() {
        try {
            // Class.forName initializes a class of a non-exported package without opening it.
            Class.forName("sun.nio.ch.Poller", true, ClassLoader.getPlatformClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            System.getLogger("dev.fibril").log(System.Logger.Level.WARNING,
                    "Fibril could not pre-start the JDK socket poller (" + e + "); default virtual threads "
                            + "may depend on Fibril's carriers for socket I/O");
        }
    }
}
