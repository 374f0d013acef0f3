/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.jdk;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * Keeps a direct buffer's memory alive while the kernel may use it, as {@code java.nio} does.
 *
 * <p>A direct buffer can belong to a closeable {@link java.lang.foreign.Arena}; its address alone
 * does not keep the memory mapped. {@code java.nio}'s channels acquire the buffer's memory session
 * for the whole of an I/O call ({@code JavaNioAccess.acquireSession}); while acquired, the arena's
 * {@code close()} fails with {@link IllegalStateException}, and acquiring a closed session fails
 * the same way. Fibril does the same from before a request is submitted until its completion has
 * been reaped. JDK 25 has no public acquire, so the JDK's own pair is reached through the opening
 * of {@code java.lang} that the scheduler hook needs already ({@link VirtualThreadBridge#REQUIRED_FLAG}):
 * {@code java.lang.Module}'s private {@code implAddExports} exports {@code jdk.internal.access} to
 * this module only. Buffers with no session ({@code ByteBuffer.allocateDirect}, heap buffers,
 * mapped files) cost one null check inside the JDK.
 *
 * <p>Without the flag, a buffer of a closed arena is still refused with the same exception, but
 * an arena closed during a call cannot be stopped: the one case where Fibril falls short of
 * {@code java.nio}, named in the runtime's fallback warning.
 *
 * <p>Any thread; a confined arena's buffer must be acquired and released by its owner thread,
 * which is the caller (the JDK throws {@link WrongThreadException} otherwise, as java.nio does).
 */
public final class BufferSessions {
    /** A thread that never runs: memory it may touch is memory that every thread may touch. */
    private static final Thread NO_THREAD = Thread.ofPlatform().unstarted(() -> { });
    private static final MethodHandle ACQUIRE;
    private static final MethodHandle RELEASE;
    /** {@code (ByteBuffer) boolean}: whether the buffer belongs to an arena (null for allocateDirect). */
    private static final MethodHandle HAS_SESSION;

    static {
        MethodHandle acquire = null;
        MethodHandle release = null;
        MethodHandle hasSession = null;
        try {
            MethodHandles.Lookup moduleLookup = MethodHandles.privateLookupIn(Module.class, MethodHandles.lookup());
            MethodHandle addExports = moduleLookup.findVirtual(Module.class, "implAddExports",
                    MethodType.methodType(void.class, String.class, Module.class));
            addExports.invoke(Object.class.getModule(), "jdk.internal.access", BufferSessions.class.getModule());
            Class<?> secrets = Class.forName("jdk.internal.access.SharedSecrets");
            Class<?> nioAccess = Class.forName("jdk.internal.access.JavaNioAccess");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Object access = lookup.findStatic(secrets, "getJavaNioAccess", MethodType.methodType(nioAccess)).invoke();
            MethodType onBuffer = MethodType.methodType(void.class, Buffer.class);
            acquire = lookup.findVirtual(nioAccess, "acquireSession", onBuffer).bindTo(access)
                    .asType(MethodType.methodType(void.class, ByteBuffer.class));
            release = lookup.findVirtual(nioAccess, "releaseSession", onBuffer).bindTo(access)
                    .asType(MethodType.methodType(void.class, ByteBuffer.class));
            hasSession = lookup.findVirtual(nioAccess, "hasSession", MethodType.methodType(boolean.class, Buffer.class))
                    .bindTo(access).asType(MethodType.methodType(boolean.class, ByteBuffer.class));
        } catch (Throwable e) {
            acquire = null;
            release = null;
            hasSession = null;
        }
        ACQUIRE = acquire;
        RELEASE = release;
        HAS_SESSION = hasSession;
    }

    private BufferSessions() {
    }

    /** Whether sessions are held for the duration of a request (false without the flag). */
    public static boolean available() {
        return ACQUIRE != null;
    }

    /**
     * Acquires {@code buffer}'s memory session, if it has one; pair with {@link #release} once the
     * kernel is done with the memory. Null and heap buffers are accepted and cost nothing. Returns
     * whether the buffer belongs to an arena (only then is {@link #release} or
     * {@link #accessibleTo} needed); without the flag, true for every direct buffer.
     *
     * @throws IllegalStateException if the buffer's arena is closed
     * @throws WrongThreadException if the buffer belongs to a confined arena of another thread
     */
    public static boolean acquire(ByteBuffer buffer) {
        if (buffer == null || !buffer.isDirect()) {
            return false;
        }
        if (ACQUIRE == null) {
            checkAlive(buffer);
            return true;
        }
        if (!hasSession(buffer)) {
            return false; // allocateDirect, a mapped file: nothing to hold
        }
        try {
            ACQUIRE.invokeExact(buffer);
        } catch (IllegalStateException | WrongThreadException e) {
            throw new IllegalStateException("the buffer's memory is not usable for I/O: " + e.getMessage(), e);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot acquire the buffer's memory session", e);
        }
        return true;
    }

    /** Releases what {@link #acquire} took on the same buffer. */
    public static void release(ByteBuffer buffer) {
        if (buffer == null || !buffer.isDirect() || RELEASE == null) {
            return;
        }
        try {
            RELEASE.invokeExact(buffer);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot release the buffer's memory session", e);
        }
    }

    /**
     * {@code buffer}, or, when it belongs to a confined arena, a view of the same memory that any
     * thread may touch (the kernel writes by address and does not care; the epoll and simulated
     * backends copy on the carrier's driving thread, which a hand-off may change while the request
     * is in flight). Call only for a buffer {@link #acquire} returned true for, while the session
     * is held: the view does not keep the memory alive by itself. Allocates.
     */
    public static ByteBuffer accessibleToAnyThread(ByteBuffer buffer) {
        MemorySegment segment = MemorySegment.ofBuffer(buffer);
        if (segment.isAccessibleBy(NO_THREAD)) {
            return buffer; // shared, global or automatic: every thread may
        }
        long base = segment.address() - buffer.position();
        ByteBuffer view = MemorySegment.ofAddress(base).reinterpret(buffer.capacity()).asByteBuffer();
        view.limit(buffer.limit()).position(buffer.position());
        return buffer.isReadOnly() ? view.asReadOnlyBuffer() : view;
    }

    /** Set together with {@link #ACQUIRE}: call only when that is. */
    private static boolean hasSession(ByteBuffer buffer) {
        try {
            return (boolean) HAS_SESSION.invokeExact(buffer);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot read the buffer's memory session", e);
        }
    }

    private static void checkAlive(ByteBuffer buffer) {
        if (!MemorySegment.ofBuffer(buffer).scope().isAlive()) {
            throw new IllegalStateException("the buffer's memory is not usable for I/O: its arena is already closed");
        }
    }
}
