/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.syscall.uring.IoUringBackend;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Batching is real: many fibrils' requests reach the kernel in shared io_uring_enter calls (a count, not a time). */
class IoUringBatchingTest {

    @Test
    void shouldSubmitManyFibrilsRequestsPerKernelCall() throws Exception {
        assumeTrue(IoUringBackend.probe().available(), "io_uring cannot run here: " + IoUringBackend.probe().reason());
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("io_uring").strict(true).build()) {
            AtomicInteger done = new AtomicInteger();
            Thread[] fibrils = new Thread[64];
            RuntimeStats before = rt.stats();
            for (int i = 0; i < fibrils.length; i++) {
                fibrils[i] = rt.start(() -> {
                    try {
                        for (int n = 0; n < 1_000; n++) {
                            Fibril.nop();
                        }
                        done.incrementAndGet();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
            }
            for (Thread t : fibrils) {
                assertTrue(t.join(Duration.ofMinutes(2)));
            }
            assertEquals(64, done.get());
            RuntimeStats after = rt.stats();
            long requests = after.completions() - before.completions();
            long enters = after.kernelCalls() - before.kernelCalls();
            double perRequest = (double) enters / requests;
            System.out.printf("io_uring batching: %d io_uring_enter calls for %d NOPs = %.4f per request%n", enters, requests, perRequest);
            assertEquals(64_000, requests);
            assertTrue(perRequest <= 0.25, "io_uring_enter calls per request: " + perRequest);
        }
    }
}
