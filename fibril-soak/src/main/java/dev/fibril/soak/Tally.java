/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** What one round's workers did, counted from any thread, and the invariant breaks they saw. */
final class Tally {
    private static final int KEPT_FAILURES = 20;

    final LongAdder exchanges = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final LongAdder fileOps = new LongAdder();
    final LongAdder httpRequests = new LongAdder();
    final LongAdder cleanErrors = new LongAdder();
    final LongAdder interrupts = new LongAdder();
    final LongAdder closes = new LongAdder();
    private final AtomicInteger failureCount = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    /** An invariant broke: wrong bytes, a hang, an exception no caller should see. */
    void fail(String what) {
        if (failureCount.incrementAndGet() <= KEPT_FAILURES) {
            failures.add(what);
        }
    }

    int failureCount() {
        return failureCount.get();
    }

    /** The first failures, in the order they were seen. */
    List<String> failures() {
        return new ArrayList<>(failures);
    }
}
