/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Opens a backend and one ring per test, driven on the test thread; skips where io_uring cannot run.
 * For the io_uring-only tests that reopen the backend with a feature switched off
 * ({@link FeatureSwitch}); the contracts use {@link dev.fibril.syscall.contract.BackendFixture}.
 */
abstract class IoUringTestBase {
    IoUringBackend backend;
    IoUringRing ring;
    RingDriver driver;

    @BeforeEach
    void openRing() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), probe::reason);
        backend = new IoUringBackend();
        ring = backend.openRing(0);
        ring.start(); // on the thread that drives it, as a carrier does
        driver = new RingDriver(ring);
    }

    @AfterEach
    void closeRing() {
        if (ring != null) {
            assertEquals(0, ring.inFlight(), "requests left in flight");
            assertEquals(0, ring.staleCompletions(), "CQEs that named no request");
            ring.close();
            backend.close();
        }
    }
}
