/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real backend (epoll, io_uring or simulated) with a ring in front of it that a test can script,
 * to reach the rare paths of the carrier deterministically: a kernel that cannot cancel a request
 * (io_uring's -EALREADY for work already running), a completion of EINTR, a kernel that takes no
 * submission (EBUSY), a ring that throws. Everything not scripted goes to the real ring unchanged.
 *
 * <p>Each scripted knob is set by the test thread and read by the carrier thread; they are atomics.
 * Local completions (those the script makes up) are delivered by the next reap, before the real
 * ring's, as io_uring delivers requests it failed itself.
 */
final class ScriptedBackend extends ForwardingBackend {
    /** Cancels are swallowed: each completes with -EALREADY, and its target goes on in the kernel. */
    final java.util.concurrent.atomic.AtomicBoolean cancelsIgnored = new java.util.concurrent.atomic.AtomicBoolean();
    /** The next N requests with opcode {@link #interruptOp} complete with -EINTR without reaching the kernel. */
    final AtomicInteger interruptNext = new AtomicInteger();
    volatile byte interruptOp = Op.RECV;
    /** The next N flushes that find the SQ full take nothing (as io_uring_enter failing with EBUSY). */
    final AtomicInteger refuseFullFlushes = new AtomicInteger();
    /** SQ capacity of the scripted ring (requests enqueued and not yet flushed). */
    volatile int sqCapacity = Integer.MAX_VALUE;
    /** The next N calls to await throw. */
    final AtomicInteger failAwaits = new AtomicInteger();
    /** The next N reaps throw. */
    final AtomicInteger failNextReaps = new AtomicInteger();
    /** Every reap throws while set. */
    volatile boolean failReaps;
    /** The real rings, in the order the carriers opened them. */
    final List<CompletionRing> rings = new CopyOnWriteArrayList<>();
    /** Opcode and flags of every request enqueued, in order ({@code op << 8 | link}). */
    final List<Integer> enqueued = new CopyOnWriteArrayList<>();

    ScriptedBackend(Backend inner) {
        super(inner);
    }

    static int entry(byte op, boolean linked) {
        return op << 8 | (linked ? 1 : 0);
    }

    @Override
    CompletionRing wrap(CompletionRing ring, int carrierIndex) {
        rings.add(ring);
        return new ScriptedRing(ring);
    }

    private final class ScriptedRing extends ForwardingRing {
        /** Requests held back from the real ring until a flush passes them on (owner thread only). */
        private final ArrayDeque<IoRequest> pending = new ArrayDeque<>();
        /** Completions made up here, in order: the request and its result (owner thread only). */
        private final ArrayDeque<IoRequest> local = new ArrayDeque<>();
        private final ArrayDeque<Integer> localResults = new ArrayDeque<>();
        /** The last request was failed here with FLAG_LINK: the kernel would fail the next one too. */
        private boolean chainBroken;

        ScriptedRing(CompletionRing ring) {
            super(ring);
        }

        @Override
        public boolean enqueue(IoRequest request) {
            if (pending.size() >= sqCapacity) {
                return false;
            }
            boolean linked = (request.flags() & IoRequest.FLAG_LINK) != 0;
            enqueued.add(entry(request.opcode(), linked));
            if (chainBroken) {
                chainBroken = linked;
                completeHere(request, -Errno.ECANCELED);
                return true;
            }
            if (request.opcode() == Op.ASYNC_CANCEL && cancelsIgnored.get()) {
                completeHere(request, -Errno.EALREADY);
                return true;
            }
            if (request.opcode() == interruptOp && interruptNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                chainBroken = linked;
                completeHere(request, -Errno.EINTR);
                return true;
            }
            pending.add(request);
            return true;
        }

        private void completeHere(IoRequest request, int result) {
            local.add(request);
            localResults.add(result);
        }

        @Override
        public int flush() {
            if (pending.size() >= sqCapacity && refuseFullFlushes.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return 0;
            }
            return passOn();
        }

        private int passOn() {
            int n = 0;
            IoRequest r;
            while ((r = pending.poll()) != null) {
                while (!ring.enqueue(r)) {
                    ring.flush();
                }
                n++;
            }
            ring.flush();
            return n;
        }

        @Override
        public int reap(CompletionSink sink, int max) {
            if (failReaps || failNextReaps.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new UncheckedIOException(new java.io.IOException("scripted reap failure"));
            }
            int n = 0;
            IoRequest r;
            while (n < max && (r = local.poll()) != null) {
                sink.onCompletion(r, localResults.poll());
                n++;
            }
            return n + ring.reap(sink, max - n);
        }

        @Override
        public void await(long timeoutNanos) {
            if (failAwaits.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new UncheckedIOException(new java.io.IOException("scripted await failure"));
            }
            if (!local.isEmpty()) {
                return;
            }
            if (pending.size() < sqCapacity || refuseFullFlushes.get() == 0) {
                passOn();
            }
            ring.await(timeoutNanos);
        }

        @Override
        public int inFlight() {
            return ring.inFlight() + pending.size() + local.size();
        }

    }
}
