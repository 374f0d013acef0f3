package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.LinuxConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoUringFileTest extends IoUringTestBase {
    private Path file;
    private int fd = -1;

    @BeforeEach
    void openFile() throws IOException {
        file = Files.createTempFile("fibril-uring", ".bin");
        fd = backend.open(file.toString(), Backend.O_RDWR, 0);
        assertTrue(fd >= 0, "open: " + fd);
    }

    @AfterEach
    void closeFile() throws IOException {
        if (fd >= 0) {
            assertEquals(0, backend.close(fd));
        }
        Files.deleteIfExists(file);
    }

    @Test
    void shouldWriteAndReadBackThroughHeapBuffers() throws IOException {
        byte[] data = "hello, io_uring".getBytes(StandardCharsets.US_ASCII);
        assertEquals(data.length, driver.run(driver.request(Op.WRITE, fd, ByteBuffer.wrap(data), 0, data.length, 0)));
        assertArrayEquals(data, Files.readAllBytes(file));

        ByteBuffer in = ByteBuffer.allocate(64);
        assertEquals(data.length, driver.run(driver.request(Op.READ, fd, in, 3, 40, 0)));
        assertArrayEquals(data, java.util.Arrays.copyOfRange(in.array(), 3, 3 + data.length));
        assertEquals(0, in.array()[data.length + 3], "only res bytes are copied out");
        assertEquals(0, in.position(), "position untouched");
        assertEquals(64, in.limit(), "limit untouched");
    }

    @Test
    void shouldWriteAndReadBackThroughDirectBuffersAtAbsolutePosition() throws IOException {
        ByteBuffer out = ByteBuffer.allocateDirect(32);
        out.put(8, "direct!".getBytes(StandardCharsets.US_ASCII));
        out.position(5); // the request's position is absolute: the buffer's own position must not shift it
        assertEquals(7, driver.run(driver.request(Op.WRITE, fd, out, 8, 7, 0)));
        assertEquals("direct!", Files.readString(file));
        assertEquals(5, out.position());

        ByteBuffer in = ByteBuffer.allocateDirect(32);
        in.position(20).limit(25);
        assertEquals(7, driver.run(driver.request(Op.READ, fd, in, 2, 30, 0)));
        byte[] got = new byte[7];
        in.get(2, got);
        assertEquals("direct!", new String(got, StandardCharsets.US_ASCII));
        assertEquals(20, in.position());
        assertEquals(25, in.limit());
    }

    @Test
    void shouldReadAndWriteAtGivenFileOffsets() throws IOException {
        Files.writeString(file, "0123456789");
        ByteBuffer x = ByteBuffer.wrap("XY".getBytes(StandardCharsets.US_ASCII));
        assertEquals(2, driver.run(driver.request(Op.WRITE, fd, x, 0, 2, 4)));
        assertEquals("0123XY6789", Files.readString(file));
        ByteBuffer in = ByteBuffer.allocateDirect(3);
        assertEquals(3, driver.run(driver.request(Op.READ, fd, in, 0, 3, 7)));
        assertEquals('7', in.get(0));
        assertEquals('9', in.get(2));
    }

    @Test
    void shouldReadZeroAtEndOfFile() throws IOException {
        Files.writeString(file, "abc");
        assertEquals(0, driver.run(driver.request(Op.READ, fd, ByteBuffer.allocate(8), 0, 8, 3)));
        assertEquals(0, driver.run(driver.request(Op.READ, fd, ByteBuffer.allocateDirect(8), 0, 8, 100)));
    }

    @Test
    void shouldFsyncAndReportSizeAndTruncate() {
        ByteBuffer data = ByteBuffer.allocateDirect(4096);
        assertEquals(4096, driver.run(driver.request(Op.WRITE, fd, data, 0, 4096, 0)));
        assertEquals(0, driver.run(driver.request(Op.FSYNC, fd, null, 0, 0, 0)));
        assertEquals(0, driver.run(driver.withOpFlags(driver.request(Op.FSYNC, fd, null, 0, 0, 0), 1))); // DATASYNC
        assertEquals(4096, backend.size(fd));
        assertEquals(0, backend.truncate(fd, 100));
        assertEquals(100, backend.size(fd));
    }

    @Test
    void shouldClampHeapReadToBounceBufferSize() throws IOException {
        Files.write(file, new byte[200_000]);
        ByteBuffer big = ByteBuffer.allocate(200_000);
        int n = driver.run(driver.request(Op.READ, fd, big, 0, 200_000, 0));
        assertEquals(IoUringConfig.DEFAULT.bounceBufferSize(), n, "a short read, as reads may be");
    }

    @Test
    void shouldWriteHeapBufferLargerThanBounceBufferShort() {
        int n = driver.run(driver.request(Op.WRITE, fd, ByteBuffer.allocate(100_000), 0, 100_000, 0));
        assertEquals(IoUringConfig.DEFAULT.bounceBufferSize(), n, "a short write, as writes may be");
        assertEquals(n, backend.size(fd));
    }

    @Test
    void shouldFailWithEbadfOnClosedDescriptor() {
        int closed = backend.open(file.toString(), Backend.O_RDONLY, 0);
        assertEquals(0, backend.close(closed));
        assertEquals(-Errno.EBADF, driver.run(driver.request(Op.READ, closed, ByteBuffer.allocate(8), 0, 8, 0)));
        assertEquals(-Errno.EBADF, driver.run(driver.request(Op.WRITE, closed, ByteBuffer.allocateDirect(8), 0, 8, 0)));
        assertEquals(-Errno.EBADF, backend.close(closed));
        assertEquals(-Errno.EBADF, backend.size(closed));
    }

    @Test
    void shouldOpenAndCloseThroughBackend() {
        int before = backend.openDescriptors();
        int other = backend.open(file.toString(), Backend.O_RDONLY, 0);
        assertTrue(other >= 0);
        assertEquals(before + 1, backend.openDescriptors());
        assertEquals(0, backend.close(other));
        assertEquals(before, backend.openDescriptors());
        assertEquals(-Errno.ENOENT, backend.open(file + ".missing", Backend.O_RDONLY, 0));
        assertEquals(-Errno.EEXIST, backend.open(file.toString(), Backend.O_RDWR | Backend.O_CREAT | Backend.O_EXCL, 0600));
    }

    @Test
    void shouldOpenAndCloseThroughRing() throws IOException {
        int before = backend.openDescriptors();
        Path created = file.resolveSibling(file.getFileName() + ".new");
        byte[] path = created.toString().getBytes(StandardCharsets.UTF_8);
        IoRequest open = driver.request(Op.OPENAT, LinuxConstants.AT_FDCWD, ByteBuffer.wrap(path), 0, path.length, 0640);
        open.opFlags(Backend.O_RDWR | Backend.O_CREAT | Backend.O_EXCL);
        int newFd = driver.run(open);
        assertTrue(newFd >= 0, "openat: " + newFd);
        assertEquals(before + 1, backend.openDescriptors());
        assertTrue(Files.exists(created));
        assertEquals(0, driver.run(driver.request(Op.CLOSE, newFd, null, 0, 0, 0)));
        assertEquals(before, backend.openDescriptors());
        assertEquals(-Errno.EBADF, driver.run(driver.request(Op.CLOSE, newFd, null, 0, 0, 0)));
        Files.delete(created);

        IoRequest missing = driver.request(Op.OPENAT, LinuxConstants.AT_FDCWD, ByteBuffer.wrap(path), 0, path.length, 0);
        assertEquals(-Errno.ENOENT, driver.run(missing));
    }

    @Test
    void shouldSpliceFileIntoPipe() throws IOException {
        Files.writeString(file, "spliced bytes");
        int[] pipe = new int[2];
        assertEquals(0, backend.pipe(pipe));
        try {
            IoRequest splice = driver.request(Op.SPLICE, fd, null, 0, 7, 8); // 7 bytes from file offset 8
            splice.opFlags(pipe[1]);
            assertEquals(5, driver.run(splice));
            ByteBuffer in = ByteBuffer.allocate(16);
            assertEquals(5, driver.run(driver.request(Op.READ, pipe[0], in, 0, 16, -1)));
            assertEquals("bytes", new String(in.array(), 0, 5, StandardCharsets.US_ASCII));
        } finally {
            backend.close(pipe[0]);
            backend.close(pipe[1]);
        }
    }

    @Test
    void shouldCompleteASpliceCancelledWhileBlockedWithoutAKernelInternalErrno() throws Exception {
        int[] empty = new int[2];
        int[] target = new int[2];
        assertEquals(0, backend.pipe(empty));
        assertEquals(0, backend.pipe(target));
        try {
            IoRequest splice = driver.request(Op.SPLICE, empty[0], null, 0, 4096, -1); // waits for bytes that never come
            splice.opFlags(target[1]);
            driver.enqueue(splice);
            ring.flush();
            // Cancelled once its io-wq worker sleeps in the pipe read, the splice is interrupted
            // there and the kernel reports -ERESTARTSYS (512), which must not come out as it is.
            awaitIoWorkerWaitingOnAPipe();
            driver.run(driver.cancelOf(splice));
            int res = driver.complete(splice);
            assertTrue(res == -Errno.EINTR || res == -Errno.ECANCELED, "cancelled splice gave " + res);
        } finally {
            for (int fd : new int[] {empty[0], empty[1], target[0], target[1]}) {
                backend.close(fd);
            }
        }
    }

    /** Until one of this process's io_uring worker threads sleeps in a pipe wait (its wchan says so). */
    private static void awaitIoWorkerWaitingOnAPipe() {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
            try (var tasks = Files.list(java.nio.file.Path.of("/proc/self/task"))) {
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
