/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.fibril.syscall.uring.IoUringConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A ring belongs to the thread that enabled it: created disabled, enabled by {@code start()}, and
 * with SINGLE_ISSUER refused to any other thread. A small CQ flooded with completions loses none.
 */
class IoUringRingOwnershipTest {
    private IoUringBackend backend;
    private IoUringFeatures features;

    @BeforeEach
    void open() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), probe::reason);
        features = IoUringFeatures.resolve(probe, name -> null);
        backend = new IoUringBackend(IoUringConfig.DEFAULT.withEntries(4, 4), features);
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void shouldBindASingleIssuerRingToTheThreadThatStartedIt() throws Exception {
        assumeTrue(features.singleIssuer(true), "kernel has SINGLE_ISSUER and R_DISABLED");
        try (IoUringRing ring = backend.openRing(0, true)) {
            assertEquals(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED,
                    ring.setupFlags() & (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED));
            ring.start();
            assertSame(Thread.currentThread(), ring.starter());
            RingDriver driver = new RingDriver(ring);
            IoRequest first = driver.request(Op.NOP, -1, null, 0, 0, 0);
            assertEquals(0, driver.run(first), "the owner submits and reaps");

            IoRequest second = driver.request(Op.NOP, -1, null, 0, 0, 0);
            driver.enqueue(second);
            long errorsBefore = ring.kernelCallErrors();
            int[] foreign = new int[2];
            Thread other = Thread.ofPlatform().start(() -> {
                foreign[0] = ring.flush();
                foreign[1] = ring.cancelFd(0);
            });
            other.join();
            assertEquals(0, foreign[0], "another thread's io_uring_enter submits nothing");
            assertEquals(errorsBefore + 1, ring.kernelCallErrors(), "the kernel refused it (EEXIST)");
            assertEquals(-dev.fibril.aio.Errno.EEXIST, foreign[1], "and refuses its io_uring_register");
            int own = ring.cancelFd(0);
            assertTrue(own >= 0 || own == -dev.fibril.aio.Errno.ENOENT, "the owner may register: " + own);
            assertEquals(0, driver.complete(second), "the owner still submits it");
        }
    }

    @Test
    void shouldLetAnyThreadDriveARingOpenedForTheHandoff() throws Exception {
        try (IoUringRing ring = backend.openRing(0, false)) {
            assertEquals(0, ring.setupFlags() & (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN));
            ring.start();
            RingDriver driver = new RingDriver(ring);
            assertEquals(0, driver.run(driver.request(Op.NOP, -1, null, 0, 0, 0)));
            int[] result = {-1};
            // a spare thread takes over, as after a carrier hand-off
            Thread spare = Thread.ofPlatform().start(() -> {
                RingDriver other = new RingDriver(ring);
                result[0] = other.run(other.request(Op.NOP, -1, null, 0, 0, 0));
            });
            spare.join();
            assertEquals(0, result[0]);
            assertEquals(0, ring.kernelCallErrors());
        }
    }

    /** 4 CQEs of room, 600 completions before the first reap: the rest wait in the kernel's overflow list. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldDeliverEveryCompletionWhenTheCompletionQueueOverflows(boolean singleThreaded) {
        assumeTrue(!singleThreaded || features.singleIssuer(true), "kernel has SINGLE_ISSUER");
        try (IoUringRing ring = backend.openRing(0, singleThreaded)) {
            assertEquals(4, ring.cqEntries());
            ring.start();
            Set<IoRequest> sent = Collections.newSetFromMap(new IdentityHashMap<>());
            Map<IoRequest, Integer> back = new IdentityHashMap<>();
            CompletionSink sink = (request, result) -> {
                if (back.put(request, result) != null) {
                    fail("second completion for " + request);
                }
            };
            for (int batch = 0; batch < 200; batch++) {
                for (int i = 0; i < 3; i++) {
                    IoRequest nop = new IoRequest();
                    nop.prepare(Op.NOP, -1, null, 0, 0, 0);
                    assertTrue(ring.enqueue(nop), "3 of 4 SQEs free after each flush");
                    sent.add(nop);
                }
                assertTrue(ring.flush() >= 3, "the kernel takes the batch even with its CQ overflowing");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (back.size() < sent.size() && System.nanoTime() < deadline) {
                if (ring.reap(sink, 64) == 0) {
                    ring.await(TimeUnit.MILLISECONDS.toNanos(100));
                }
            }
            assertEquals(sent, back.keySet(), "every request completed once");
            assertTrue(back.values().stream().allMatch(r -> r == 0), "every NOP succeeded");
            assertTrue(ring.overflowFlushes() > 0, "completions were moved in from the overflow list");
            assertTrue(ring.completionOverflows() > 0, "the overflow episodes were counted");
            assertEquals(0, ring.inFlight());
            assertEquals(0, ring.staleCompletions());
        }
    }
}
