/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.syscall.sim.SimulatedKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fibril inside a call into the backend is in a system call: if the backend blocks (here on a
 * monitor that another thread holds, as the simulated kernel's sockets and queues do under
 * contention between carriers), the carrier blocks with it. The carrier must not switch to other
 * fibrils or go back to its loop in the middle of the call: its ring would be entered again while
 * the blocked call is half done (the submission queue seen inconsistent, completions lost), and
 * a carrier that then waits for a lock the unmounted fibril holds would never resume it.
 *
 * <p>Since JDK 24 a virtual thread that blocks on a contended monitor unmounts instead of pinning
 * its carrier, so this holds only if the runtime pins the fibril for the call.
 *
 * <p>A synchronous backend call (close, setOption) is not a ring call: a fibril blocked in one
 * holds its thread like any blocking call, and the hand-off lets the carrier go on without it.
 */
class SystemCallPinningTest {
    /** How long the gate stays shut; other fibrils would run within microseconds of the unmount. */
    private static final long HOLD_MILLIS = 300;

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void shouldNotLeaveTheRingToTheLoopWhileAFibrilIsBlockedInAFlush() throws Exception {
        GatedKernel kernel = new GatedKernel(SimulatedKernel.builder().seed(7).build());
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend(kernel).strict(true).build()) {
            // with the hand-off on: a fibril inside a ring call holds the carrier, it is not handed off
            FibrilFileChannel file = rt.openFile(Path.of("/gated-flush"), READ, WRITE, CREATE);
            AtomicBoolean otherRan = new AtomicBoolean();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            Thread writer;
            Thread other;
            synchronized (kernel.gate) {
                kernel.gateNextFlush.set(true);
                // Alone on its carrier, the writer flushes on its own stack (the fast path) and blocks at the gate.
                writer = rt.start(() -> {
                    try {
                        assertEquals(5, file.write(ByteBuffer.wrap("hello".getBytes()), 0));
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                Thread blocked = kernel.awaitAtGate();
                assertTrue(blocked.isVirtual(), "the fibril itself flushed, not the carrier loop: " + blocked);
                other = rt.start(() -> otherRan.set(true));
                // Nothing may happen while the fibril is held inside the call: watch for the whole hold.
                await().during(Duration.ofMillis(HOLD_MILLIS)).atMost(Duration.ofSeconds(10))
                        .until(() -> kernel.reentries.isEmpty() && !otherRan.get());
                assertEquals(List.of(), kernel.reentries, "the ring was entered while a call on it was in progress");
                assertFalse(otherRan.get(), "another fibril ran on the carrier while a fibril was inside ring.flush()");
            }
            assertTrue(writer.join(java.time.Duration.ofSeconds(30)), "writer finished");
            assertTrue(other.join(java.time.Duration.ofSeconds(30)), "other fibril finished");
            assertEquals(List.of(), failures);
            ByteBuffer back = ByteBuffer.allocate(5);
            assertEquals(5, file.read(back, 0));
            assertEquals("hello", new String(back.array()));
            file.close();
            assertEquals(List.of(), kernel.reentries, "the ring was entered while a call on it was in progress");
        }
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void shouldKeepTheCarrierWhileAFibrilIsBlockedInASynchronousBackendCall() throws Exception {
        closeBehindTheGate(false);
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void shouldHandTheCarrierOnWhileAFibrilIsBlockedInASynchronousBackendCall() throws Exception {
        closeBehindTheGate(true);
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void shouldKeepTheCarrierWhileAFibrilIsBlockedInASetOption() throws Exception {
        setOptionBehindTheGate(false);
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void shouldHandTheCarrierOnWhileAFibrilIsBlockedInASetOption() throws Exception {
        setOptionBehindTheGate(true);
    }

    /**
     * A fibril blocked in backend.close(fd) stays mounted on its thread (pinned). Without the
     * hand-off nothing else runs on its carrier meanwhile; with it, the carrier goes on on another
     * thread (the other fibril can only run there: the blocked one holds the first thread).
     */
    private static void closeBehindTheGate(boolean handoff) throws Exception {
        GatedKernel kernel = new GatedKernel(SimulatedKernel.builder().seed(7).build());
        try (FibrilRuntime rt = runtime(kernel, handoff)) {
            FibrilFileChannel file = rt.openFile(Path.of("/gated-close"), READ, WRITE, CREATE);
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            kernel.gateNextClose.set(true);
            Thread closer = heldAtTheGate(kernel, rt, handoff, "backend.close(fd)", () -> {
                try {
                    file.close();
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            assertTrue(closer.join(Duration.ofSeconds(30)), "closer finished");
            assertEquals(List.of(), failures);
            assertEquals(0, kernel.openDescriptors());
            assertEquals(List.of(), kernel.reentries, "the ring was entered while a call on it was in progress");
        }
    }

    private static void setOptionBehindTheGate(boolean handoff) throws Exception {
        GatedKernel kernel = new GatedKernel(SimulatedKernel.builder().seed(7).build());
        try (FibrilRuntime rt = runtime(kernel, handoff);
             FibrilSocketChannel socket = rt.openSocket()) {
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            kernel.gateNextOption.set(true);
            Thread setter = heldAtTheGate(kernel, rt, handoff, "backend.setOption", () -> {
                try {
                    socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            assertTrue(setter.join(Duration.ofSeconds(30)), "setter finished");
            assertEquals(List.of(), failures);
            assertTrue(socket.getOption(StandardSocketOptions.TCP_NODELAY), "the gated call went on to the kernel");
        }
    }

    private static FibrilRuntime runtime(GatedKernel kernel, boolean handoff) {
        return Fibril.runtime().carriers(1).backend(kernel).strict(true)
                .handoffThreshold(handoff ? Duration.ofMillis(5) : Duration.ZERO).build();
    }

    /** Starts {@code call} in a fibril, which blocks at the armed gate; checks what else runs meanwhile, then opens it. */
    private static Thread heldAtTheGate(GatedKernel kernel, FibrilRuntime rt, boolean handoff, String what, Runnable call)
            throws InterruptedException {
        AtomicBoolean otherRan = new AtomicBoolean();
        Thread caller;
        Thread other;
        synchronized (kernel.gate) {
            caller = rt.start(call);
            Thread blocked = kernel.awaitAtGate();
            assertTrue(blocked.isVirtual(), "the fibril itself called " + what + ": " + blocked);
            other = rt.start(() -> otherRan.set(true));
            if (handoff) {
                await().atMost(Duration.ofSeconds(10)).untilTrue(otherRan);
                assertTrue(rt.stats().handoffs() >= 1, "the carrier went on on another thread");
            } else {
                await().during(Duration.ofMillis(HOLD_MILLIS)).atMost(Duration.ofSeconds(10)).until(() -> !otherRan.get());
                assertFalse(otherRan.get(), "another fibril ran on the carrier while a fibril was inside " + what);
            }
        }
        assertTrue(other.join(Duration.ofSeconds(30)), "other fibril finished");
        return caller;
    }

    /**
     * The simulated kernel behind a gate: the next flush (or close, or setOption) that is armed
     * first blocks on {@link #gate}, a monitor the test holds. Its rings record every entry made
     * while another thread's call on the same ring is still in progress.
     */
    static final class GatedKernel extends ForwardingBackend {
        final Object gate = new Object();
        final AtomicBoolean gateNextFlush = new AtomicBoolean();
        final AtomicBoolean gateNextClose = new AtomicBoolean();
        final AtomicBoolean gateNextOption = new AtomicBoolean();
        final List<String> reentries = new CopyOnWriteArrayList<>();
        private volatile Thread atGate;

        GatedKernel(SimulatedKernel sim) {
            super(sim);
        }

        /** The thread now blocked at the gate (waits for one to arrive). */
        Thread awaitAtGate() {
            await().atMost(10, TimeUnit.SECONDS).until(() -> atGate != null);
            return atGate;
        }

        private void passGate(AtomicBoolean armed) {
            if (armed.compareAndSet(true, false)) {
                atGate = Thread.currentThread();
                synchronized (gate) {
                    atGate = null;
                }
            }
        }

        @Override
        CompletionRing wrap(CompletionRing ring, int carrierIndex) {
            return new GatedRing(ring);
        }

        @Override
        public int setOption(int fd, int level, int name, int value) {
            passGate(gateNextOption);
            return inner.setOption(fd, level, name, value);
        }

        @Override
        public int close(int fd) {
            passGate(gateNextClose);
            return inner.close(fd);
        }

        /** No CLOSE on the rings, so that a fibril's close is the synchronous call this test gates. */
        @Override
        public boolean supports(int op) {
            return op != dev.fibril.aio.spi.Op.CLOSE && inner.supports(op);
        }

        /** Owner-thread-only ring: records entries by one thread while another's call is in progress. */
        final class GatedRing extends ForwardingRing {
            private volatile Thread inside;
            private int depth;

            GatedRing(CompletionRing ring) {
                super(ring);
            }

            private void enter(String call) {
                Thread me = Thread.currentThread();
                Thread in = inside;
                if (in != null && in != me) {
                    reentries.add(call + " by " + me + " while " + in + " is in a call on the same ring");
                    return;
                }
                inside = me;
                depth++;
            }

            private void exit() {
                if (inside == Thread.currentThread() && --depth == 0) {
                    inside = null;
                }
            }

            @Override
            public boolean enqueue(IoRequest request) {
                enter("enqueue");
                try {
                    return ring.enqueue(request);
                } finally {
                    exit();
                }
            }

            @Override
            public int flush() {
                enter("flush");
                try {
                    passGate(gateNextFlush);
                    return ring.flush();
                } finally {
                    exit();
                }
            }

            @Override
            public int reap(CompletionSink sink, int max) {
                enter("reap");
                try {
                    return ring.reap(sink, max);
                } finally {
                    exit();
                }
            }

            @Override
            public void await(long timeoutNanos) {
                enter("await");
                try {
                    ring.await(timeoutNanos);
                } finally {
                    exit();
                }
            }

            @Override
            public void wakeup() {
                ring.wakeup();
            }

            @Override
            public int inFlight() {
                return ring.inFlight();
            }

            @Override
            public long kernelCalls() {
                return ring.kernelCalls();
            }

            @Override
            public void close() {
                ring.close();
            }
        }
    }
}
