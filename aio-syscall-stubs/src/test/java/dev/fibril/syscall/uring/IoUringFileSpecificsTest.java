/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.contract.BackendFixture;
import dev.fibril.syscall.contract.BackendKind;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What only io_uring's file path does: heap transfers bounded by the bounce buffer, a splice cancelled in io-wq. */
class IoUringFileSpecificsTest extends BackendFixture {
    IoUringFileSpecificsTest() {
        super(BackendKind.IO_URING);
    }

    @Test
    void shouldClampAHeapReadToTheBounceBufferSize() {
        int fd = file("big", new byte[0]);
        assertEquals(0, backend.truncate(fd, 200_000));
        int n = driver.run(read(fd, ByteBuffer.allocate(200_000), 0, 200_000, 0));
        assertEquals(IoUringConfig.DEFAULT.bounceBufferSize(), n, "a short read, as reads may be");
    }

    @Test
    void shouldWriteAHeapBufferLargerThanTheBounceBufferShort() {
        int fd = file("short", new byte[0]);
        int n = driver.run(write(fd, ByteBuffer.allocate(100_000), 0, 100_000, 0));
        assertEquals(IoUringConfig.DEFAULT.bounceBufferSize(), n, "a short write, as writes may be");
        assertEquals(n, backend.size(fd));
    }

    @Test
    void shouldCompleteASpliceCancelledWhileBlockedWithoutAKernelInternalErrno() {
        int[] empty = new int[2];
        int[] target = new int[2];
        assertEquals(0, backend.pipe(empty));
        assertEquals(0, backend.pipe(target));
        for (int fd : new int[] {empty[0], empty[1], target[0], target[1]}) {
            track(fd);
        }
        IoRequest splice = driver.request(Op.SPLICE, empty[0], null, 0, 4096, -1); // waits for bytes that never come
        splice.opFlags(target[1]);
        driver.submit(splice);
        // Cancelled once its io-wq worker sleeps in the pipe read, the splice is interrupted
        // there and the kernel reports -ERESTARTSYS (512), which must not come out as it is.
        awaitIoWorkerWaitingOnAPipe();
        driver.run(driver.cancelOf(splice));
        int res = driver.complete(splice);
        assertTrue(res == -Errno.EINTR || res == -Errno.ECANCELED, "cancelled splice gave " + res);
    }

    /** Until one of this process's io_uring worker threads sleeps in a pipe wait (its wchan says so). */
    private static void awaitIoWorkerWaitingOnAPipe() {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                return tasks.anyMatch(t -> {
                    try {
                        return Files.readString(t.resolve("comm")).startsWith("iou-wrk")
                                && Files.readString(t.resolve("wchan")).contains("pipe");
                    } catch (IOException gone) {
                        return false;
                    }
                });
            }
        });
    }
}
