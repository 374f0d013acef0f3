/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.jdk;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Constructor;
import java.util.concurrent.Executor;

/**
 * The one place that reaches into {@code java.lang} internals. JDK 25 has no public API for a
 * virtual-thread scheduler; the package-private {@code ThreadBuilders.VirtualThreadBuilder(Executor)}
 * creates virtual threads whose continuations are run by the given executor, and two fields of
 * {@code VirtualThread} tell which scheduler and which carrier thread a virtual thread has.
 *
 * <p>Pinning: {@link #pinCurrent()} keeps the current virtual thread mounted on its carrier until
 * {@link #unpinCurrent(boolean)}, through the JDK's own critical-section pair
 * {@code VirtualThread.disableSuspendAndPreempt/enableSuspendAndPreempt} (a {@code Continuation}
 * pin). While pinned, anything that would unmount the virtual thread (a contended monitor since
 * JDK 24, a lock, a park) blocks the carrier thread instead. The runtime pins a fibril for the
 * duration of each call into the backend, as a thread in a system call keeps its CPU; see
 * {@code Carrier}.
 *
 * <p>Needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}. Without it {@link #available()}
 * is false and {@link #unavailableReason()} says why; nothing here throws at class load.
 */
public final class VirtualThreadBridge {
    /**
     * The JVM flag that opens the scheduler hook to Fibril where it was loaded from: its module on
     * the module path, {@code ALL-UNNAMED} on the class path.
     */
    public static final String REQUIRED_FLAG = "--add-opens java.base/java.lang="
            + (VirtualThreadBridge.class.getModule().isNamed() ? VirtualThreadBridge.class.getModule().getName() : "ALL-UNNAMED");

    private static final Constructor<?> BUILDER_CONSTRUCTOR;
    private static final VarHandle SCHEDULER;
    private static final VarHandle CARRIER_THREAD;
    /** {@code (Thread) void}: pins the current virtual thread, which must be the argument. */
    private static final MethodHandle PIN;
    private static final MethodHandle UNPIN;
    private static final String UNAVAILABLE_REASON;

    static {
        Constructor<?> ctor = null;
        VarHandle scheduler = null;
        VarHandle carrier = null;
        MethodHandle pin = null;
        MethodHandle unpin = null;
        String reason = null;
        try {
            Class<?> builderClass = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            ctor = builderClass.getDeclaredConstructor(Executor.class);
            ctor.setAccessible(true);
            Class<?> vtClass = Class.forName("java.lang.VirtualThread");
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(vtClass, MethodHandles.lookup());
            scheduler = lookup.findVarHandle(vtClass, "scheduler", Executor.class);
            carrier = lookup.findVarHandle(vtClass, "carrierThread", Thread.class);
            MethodType asThread = MethodType.methodType(void.class, Thread.class);
            pin = lookup.findVirtual(vtClass, "disableSuspendAndPreempt", MethodType.methodType(void.class)).asType(asThread);
            unpin = lookup.findVirtual(vtClass, "enableSuspendAndPreempt", MethodType.methodType(void.class)).asType(asThread);
        } catch (ReflectiveOperationException | RuntimeException e) {
            ctor = null;
            scheduler = null;
            carrier = null;
            pin = null;
            unpin = null;
            reason = "the JDK's virtual-thread scheduler hook is not accessible (" + e.getClass().getSimpleName()
                    + "); start the JVM with " + REQUIRED_FLAG;
        }
        BUILDER_CONSTRUCTOR = ctor;
        SCHEDULER = scheduler;
        CARRIER_THREAD = carrier;
        PIN = pin;
        UNPIN = unpin;
        UNAVAILABLE_REASON = reason;
    }

    private VirtualThreadBridge() {
    }

    /** Whether virtual threads can be given a custom scheduler in this JVM. */
    public static boolean available() {
        return BUILDER_CONSTRUCTOR != null;
    }

    /** Why {@link #available()} is false, or null. */
    public static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /** A builder of virtual threads scheduled by {@code scheduler}. Requires {@link #available()}. */
    public static Thread.Builder.OfVirtual newVirtualThreadBuilder(Executor scheduler) {
        if (!available()) {
            throw new IllegalStateException(UNAVAILABLE_REASON);
        }
        try {
            return (Thread.Builder.OfVirtual) BUILDER_CONSTRUCTOR.newInstance(scheduler);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a virtual thread builder: " + e, e);
        }
    }

    /** The scheduler of virtual thread {@code thread}, or null for a platform thread or when unavailable. */
    public static Executor schedulerOf(Thread thread) {
        if (SCHEDULER == null || !thread.isVirtual()) {
            return null;
        }
        return (Executor) SCHEDULER.get(thread);
    }

    /**
     * The thread that {@code thread} runs on: its carrier when it is a mounted virtual thread,
     * itself when it is a platform thread. A volatile read of {@code VirtualThread.carrierThread}.
     */
    public static Thread carrierOf(Thread thread) {
        if (!thread.isVirtual()) {
            return thread;
        }
        return CARRIER_THREAD == null ? null : (Thread) CARRIER_THREAD.get(thread);
    }

    /**
     * Pins the current thread to its carrier if it is a virtual thread (and the hook is
     * available); returns whether it did, to be handed to {@link #unpinCurrent(boolean)} on the
     * same thread. Nests. Allocates nothing.
     */
    public static boolean pinCurrent() {
        Thread t = Thread.currentThread();
        if (PIN == null || !t.isVirtual()) {
            return false;
        }
        try {
            PIN.invokeExact(t);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot pin " + t + " to its carrier", e);
        }
        return true;
    }

    /** Undoes {@link #pinCurrent()} when {@code pinned} (its result) is true. */
    public static void unpinCurrent(boolean pinned) {
        if (pinned) {
            try {
                UNPIN.invokeExact(Thread.currentThread());
            } catch (Throwable e) {
                throw new IllegalStateException("cannot unpin " + Thread.currentThread(), e);
            }
        }
    }
}
