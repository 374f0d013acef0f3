/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import java.util.ArrayList;
import java.util.List;

/**
 * A real backend whose rings hold back the first SPLICE that reads a file (offset >= 0: the head
 * of a sendFile chunk, file to pipe) together with whatever is linked behind it, as if that splice
 * sat in a cold-cache disk read that a cancel cannot interrupt (a killable wait in the kernel). The
 * kernel never sees the held requests, so an ASYNC_CANCEL for them finds nothing, as it finds
 * nothing for a running read it cannot stop or for a linked request not yet issued. The "disk
 * read" ends when the first cancel aimed at a held request has been submitted: the held requests
 * then go to the kernel in their order and complete there for real. So a test can land a close or
 * an interrupt deterministically while the head is in flight, and see what the runtime does once
 * the head completes after the cancel.
 */
final class UncancellableHeadBackend extends ForwardingBackend {
    private volatile boolean headHeld;
    private volatile boolean cancelAimedAtHead;

    UncancellableHeadBackend(Backend real) {
        super(real);
    }

    /** Whether a file-to-pipe SPLICE is held now. */
    boolean headHeld() {
        return headHeld;
    }

    /** Whether a cancel aimed at a held request was submitted (and the held requests released). */
    boolean cancelAimedAtHead() {
        return cancelAimedAtHead;
    }

    @Override
    CompletionRing wrap(CompletionRing ring, int carrierIndex) {
        return new HoldingRing(ring);
    }

    /** Owner thread only, as every ring. */
    private final class HoldingRing extends ForwardingRing {
        private final List<IoRequest> held = new ArrayList<>();
        private boolean armed = true;
        private boolean release;

        HoldingRing(CompletionRing ring) {
            super(ring);
        }

        @Override
        public boolean enqueue(IoRequest request) {
            boolean linkedBehindHeld = !held.isEmpty() && (held.getLast().flags() & IoRequest.FLAG_LINK) != 0;
            if (armed && (linkedBehindHeld || request.opcode() == Op.SPLICE && request.offset() >= 0)) {
                held.add(request);
                headHeld = true;
                return true;
            }
            if (request.opcode() == Op.ASYNC_CANCEL && isHeld(request.cancelTarget())) {
                release = true;
                cancelAimedAtHead = true;
            }
            return ring.enqueue(request);
        }

        private boolean isHeld(IoRequest target) {
            for (IoRequest r : held) {
                if (r == target) {
                    return true;
                }
            }
            return false;
        }

        /** The "disk read" ends after the cancel: the held requests go to the kernel, behind the cancel. */
        private void releaseIfCancelled() {
            if (release && !held.isEmpty()) {
                armed = false;
                for (IoRequest r : held) {
                    while (!ring.enqueue(r)) {
                        ring.flush();
                    }
                }
                held.clear();
                headHeld = false;
                ring.flush();
            }
        }

        @Override
        public int flush() {
            int n = ring.flush();
            releaseIfCancelled();
            return n;
        }

        @Override
        public int reap(CompletionSink sink, int max) {
            releaseIfCancelled();
            return ring.reap(sink, max);
        }

        @Override
        public void await(long timeoutNanos) {
            releaseIfCancelled();
            ring.await(timeoutNanos);
        }

        @Override
        public int inFlight() {
            return ring.inFlight() + held.size();
        }

    }
}
