/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.time.Duration;

import static dev.fibril.syscall.RingDriver.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each fault kind, alone at probability 0.25, hits about a quarter of the ops it applies to, and only those. */
class FaultInjectionTest {
    private static final double P = 0.25;
    private static final int OPS = 4_000;

    private final ManualClock clock = new ManualClock();
    private SimulatedKernel kernel;
    private RingDriver driver;

    private void start(Fault kind) {
        kernel = SimulatedKernel.builder().seed(11).clock(clock).socketBufferBytes(1 << 20).fault(kind, P).build();
        driver = new RingDriver(kernel.openRing(0));
    }

    @AfterEach
    void closeEverything() {
        driver.ring().close();
        kernel.close();
    }

    /** The count is what a binomial(OPS, P) gives with overwhelming probability, and matches the effects seen. */
    private void assertInjected(Fault kind, long seen) {
        long injected = kernel.faultsInjected(kind);
        assertEquals(injected, seen, kind + ": counter and observed effects disagree");
        assertTrue(injected > OPS * P * 0.8 && injected < OPS * P * 1.2, kind + " injected " + injected + " times in " + OPS);
        for (Fault other : Fault.values()) {
            if (other != kind) {
                assertEquals(0, kernel.faultsInjected(other), other + " was not configured");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"EINTR", "EAGAIN", "EIO"})
    void shouldFailFileWritesWithInjectedErrorWithoutWritingAnything(Fault kind) {
        start(kind);
        int fd = kernel.open("/f", Backend.O_RDWR | Backend.O_CREAT, 0);
        ByteBuffer one = ByteBuffer.wrap(new byte[] {1});
        IoRequest[] ids = new IoRequest[OPS];
        for (int i = 0; i < OPS; i++) {
            ids[i] = driver.enqueued(request(Op.WRITE, fd, one, 0, 1, i));
            if ((i & 7) == 7) {
                driver.ring().flush();
            }
        }
        driver.ring().flush();
        driver.reap();

        byte[] content = kernel.fileContent("/f");
        long failed = 0;
        for (int i = 0; i < OPS; i++) {
            int result = driver.resultNow(ids[i]);
            byte written = i < content.length ? content[i] : 0;
            if (result == kind.result()) {
                failed++;
                assertEquals(0, written, "a failed write wrote byte " + i);
            } else {
                assertEquals(1, result);
                assertEquals(1, written);
            }
        }
        assertInjected(kind, failed);
    }

    @Test
    void shouldFailFsyncWithEioButNeverWithEintr() {
        start(Fault.EIO);
        int fd = kernel.open("/f", Backend.O_RDWR | Backend.O_CREAT, 0);
        long failed = 0;
        for (int i = 0; i < OPS; i++) {
            int result = driver.resultNow(driver.submit(request(Op.FSYNC, fd, null, 0, 0, 0)));
            if (result == -Errno.EIO) {
                failed++;
            } else {
                assertEquals(0, result);
            }
        }
        assertInjected(Fault.EIO, failed);
    }

    @Test
    void shouldTransferRandomShorterCountOnShortRead() {
        start(Fault.SHORT_READ);
        int fd = kernel.open("/f", Backend.O_RDWR | Backend.O_CREAT, 0);
        byte[] content = new byte[1000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 7);
        }
        driver.write(fd, ByteBuffer.wrap(content), 0);
        ByteBuffer dst = ByteBuffer.allocate(1000);
        long shortened = 0;
        for (int i = 0; i < OPS; i++) {
            int n = driver.resultNow(driver.submit(request(Op.READ, fd, dst, 0, 1000, 0)));
            assertTrue(n >= 1 && n <= 1000, "read " + n);
            if (n < 1000) {
                shortened++;
            }
            for (int j = 0; j < n; j++) {
                assertEquals(content[j], dst.get(j));
            }
        }
        assertInjected(Fault.SHORT_READ, shortened);
    }

    @Test
    void shouldWriteOnlyTheShorterCountOnShortWrite() {
        start(Fault.SHORT_WRITE);
        int fd = kernel.open("/f", Backend.O_RDWR | Backend.O_CREAT, 0);
        ByteBuffer ones = ByteBuffer.allocate(100);
        for (int i = 0; i < 100; i++) {
            ones.put(i, (byte) 1);
        }
        int[] written = new int[OPS];
        long shortened = 0;
        for (int i = 0; i < OPS; i++) {
            written[i] = driver.resultNow(driver.submit(request(Op.WRITE, fd, ones, 0, 100, i * 100L)));
            assertTrue(written[i] >= 1 && written[i] <= 100);
            if (written[i] < 100) {
                shortened++;
            }
        }
        byte[] content = kernel.fileContent("/f");
        for (int i = 0; i < OPS; i++) {
            for (int j = 0; j < 100; j++) {
                int at = i * 100 + j;
                assertEquals(j < written[i] ? 1 : 0, at < content.length ? content[at] : 0, "byte " + at);
            }
        }
        assertInjected(Fault.SHORT_WRITE, shortened);
    }

    @Test
    void shouldResetTheConnectionWithEconnresetWithoutMovingData() {
        start(Fault.ECONNRESET);
        int[] pair = driver.connectedPair(kernel);
        long resets = 0;
        for (int i = 0; i < OPS; i++) {
            int result = driver.resultNow(driver.send(pair[0], ByteBuffer.wrap(new byte[] {(byte) i})));
            if (result != -Errno.ECONNRESET) {
                assertEquals(1, result);
                continue;
            }
            resets++;
            // As after an RST: both ends are readable and writable only to fail (POLL_ADD draws no error fault).
            int failed = 0x1 | 0x4 | 0x8 | 0x10; // POLLIN | POLLOUT | POLLERR | POLLHUP
            for (int fd : pair) {
                IoRequest poll = request(Op.POLL_ADD, fd, null, 0, 0, 0);
                poll.opFlags(0x1 | 0x4);
                assertEquals(failed, driver.run(poll), "end " + fd + " after the reset");
            }
            assertEquals(0, kernel.close(pair[0]));
            assertEquals(0, kernel.close(pair[1]));
            pair = driver.connectedPair(kernel);
        }
        assertInjected(Fault.ECONNRESET, resets);
    }

    @Test
    void shouldHoldBackDelayedCompletionsWithinTheConfiguredBound() {
        kernel = SimulatedKernel.builder().seed(5).clock(clock).fault(Fault.DELAY, P).maxFaultDelay(Duration.ofNanos(1_000)).build();
        driver = new RingDriver(kernel.openRing(0));
        long delayed = 0;
        for (int i = 0; i < OPS; i++) {
            IoRequest nop = driver.submit(request(Op.NOP, -1, null, 0, 0, 0));
            if (!driver.isComplete(nop)) {
                delayed++;
                clock.advance(1_000);
                assertEquals(0, driver.resultNow(nop));
            }
        }
        assertInjected(Fault.DELAY, delayed);
    }

    @Test
    void shouldDeliverReorderedCompletionAfterTheRestOfItsBatch() {
        start(Fault.REORDER);
        long outOfOrder = 0;
        for (int batch = 0; batch < OPS / 4; batch++) {
            IoRequest[] submitted = new IoRequest[4];
            for (int i = 0; i < 4; i++) {
                submitted[i] = driver.enqueued(request(Op.NOP, -1, null, 0, 0, 0));
            }
            int before = driver.delivered().size();
            driver.ring().flush();
            assertEquals(4, driver.reap());
            for (IoRequest r : submitted) {
                assertEquals(0, driver.resultNow(r));
            }
            for (int i = 0; i < 4; i++) {
                if (driver.delivered().get(before + i) != submitted[i]) {
                    outOfOrder++;
                    break;
                }
            }
        }
        long injected = kernel.faultsInjected(Fault.REORDER);
        assertTrue(injected > OPS * P * 0.8 && injected < OPS * P * 1.2, "reordered " + injected);
        // A batch is out of order unless only its trailing completions were held back.
        assertTrue(outOfOrder > 0 && outOfOrder <= injected, outOfOrder + " batches out of order, " + injected + " injected");
    }

    @Test
    void shouldNotInjectAnythingAtProbabilityZero() {
        kernel = SimulatedKernel.builder().clock(clock).build();
        driver = new RingDriver(kernel.openRing(0));
        int fd = kernel.open("/f", Backend.O_RDWR | Backend.O_CREAT, 0);
        for (int i = 0; i < 1_000; i++) {
            IoRequest write = request(Op.WRITE, fd, ByteBuffer.allocate(64), 0, 64, 0);
            assertEquals(64, driver.resultNow(driver.submit(write)));
        }
        for (Fault kind : Fault.values()) {
            assertEquals(0, kernel.faultsInjected(kind));
        }
    }
}
