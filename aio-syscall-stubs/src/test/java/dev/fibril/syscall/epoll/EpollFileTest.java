package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EpollFileTest extends EpollTestBase {
    private Path dir;
    private final List<Integer> fds = new ArrayList<>();

    @BeforeEach
    void createDirectory() throws Exception {
        dir = Files.createTempDirectory("fibril-epoll");
    }

    @AfterEach
    void closeFiles() throws Exception {
        for (int fd : fds) {
            backend.close(fd);
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    private int open(Path path, int flags) {
        int fd = backend.open(path.toString(), flags, 0644);
        assertTrue(fd >= FdTable.FIRST_FD, "open: " + fd);
        fds.add(fd);
        return fd;
    }

    @Test
    void shouldKeepEveryFileOpenWhenAnInterruptedThreadFlushesTheirReads() throws Exception {
        Path one = dir.resolve("one");
        Path two = dir.resolve("two");
        Files.writeString(one, "one");
        Files.writeString(two, "two");
        int fd1 = open(one, Backend.O_RDWR);
        int fd2 = open(two, Backend.O_RDWR);
        IoRequest read2 = driver.request(Op.READ, fd2, ByteBuffer.allocate(3), 0, 3, 0);
        IoRequest read1 = driver.request(Op.READ, fd1, ByteBuffer.allocate(3), 0, 3, 0);
        IoRequest write1 = driver.request(Op.WRITE, fd1, ByteBuffer.wrap("ONE".getBytes()), 0, 3, 0);
        IoRequest sync1 = driver.request(Op.FSYNC, fd1, null, 0, 0, 0);
        driver.enqueue(read2, read1, write1, sync1);
        Thread.currentThread().interrupt();
        try {
            ring.flush(); // all four run here, on this interrupted thread
            assertTrue(Thread.currentThread().isInterrupted(), "the status is the caller's, kept");
            assertEquals(3, backend.size(fd1));
            assertEquals(0, backend.truncate(fd2, 3));
        } finally {
            Thread.interrupted();
        }
        assertEquals(3, driver.complete(read2));
        assertEquals(3, driver.complete(read1));
        assertEquals(3, driver.complete(write1));
        assertEquals(0, driver.complete(sync1));
        ByteBuffer again = ByteBuffer.allocate(3);
        assertEquals(3, driver.run(driver.request(Op.READ, fd1, again, 0, 3, 0)), "fd 1 still reads");
        assertArrayEquals("ONE".getBytes(), again.array());
        assertEquals(3, driver.run(driver.request(Op.READ, fd2, ByteBuffer.allocate(3), 0, 3, 0)), "fd 2 still reads");
        assertTrue(InterruptShield.holdsOffConcurrentInterrupts(), "java.lang is open to the tests, as to the runtime");
    }

    @Test
    void shouldWriteReadAndFsyncRealFileWithHeapAndDirectBuffers() throws Exception {
        Path file = dir.resolve("data.bin");
        int fd = open(file, Backend.O_RDWR | Backend.O_CREAT | Backend.O_EXCL);
        byte[] text = "hello, epoll backend".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer heap = ByteBuffer.wrap(text);
        assertEquals(text.length, driver.run(driver.request(Op.WRITE, fd, heap, 0, text.length, 0)));
        ByteBuffer direct = ByteBuffer.allocateDirect(8).put(0, "DIRECT!!".getBytes(StandardCharsets.US_ASCII));
        assertEquals(8, driver.run(driver.request(Op.WRITE, fd, direct, 0, 8, text.length)));
        assertEquals(0, driver.run(driver.request(Op.FSYNC, fd, null, 0, 0, 0)));
        assertEquals(0, driver.run(driver.withOpFlags(driver.request(Op.FSYNC, fd, null, 0, 0, 0), NioCalls.FSYNC_DATASYNC)));
        assertEquals(text.length + 8, backend.size(fd));
        assertEquals("hello, epoll backendDIRECT!!", Files.readString(file, StandardCharsets.US_ASCII));

        ByteBuffer in = ByteBuffer.allocateDirect(64);
        assertEquals(6, driver.run(driver.request(Op.READ, fd, in, 10, 6, 7)));
        byte[] got = new byte[6];
        in.get(10, got);
        assertEquals("epoll ", new String(got, StandardCharsets.US_ASCII));
        ByteBuffer heapIn = ByteBuffer.allocate(64);
        assertEquals(8, driver.run(driver.request(Op.READ, fd, heapIn, 3, 32, text.length)), "short read at the end");
        assertEquals('D', heapIn.get(3));
        assertEquals(0, driver.run(driver.request(Op.READ, fd, heapIn, 0, 32, 1000)), "EOF reads 0");
        assertEquals(7, ring.blockingFileCalls(), "2 writes, 2 fsyncs, 3 reads: one blocking call each");
    }

    @Test
    void shouldLeaveCallersBufferPositionLimitAndMarkUntouched() throws Exception {
        Path file = dir.resolve("untouched.bin");
        Files.write(file, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        int fd = open(file, Backend.O_RDWR);
        ByteBuffer buffer = ByteBuffer.allocate(16);
        buffer.position(2).mark();
        buffer.position(4).limit(12);
        assertEquals(4, driver.run(driver.request(Op.READ, fd, buffer, 4, 4, 0)));
        assertEquals(4, buffer.position());
        assertEquals(12, buffer.limit());
        assertEquals(2, buffer.reset().position(), "the mark survived");
        assertEquals(1, buffer.get(4));
        assertEquals(4, buffer.get(7));

        // a region before the buffer's position works too (through a duplicate)
        buffer.position(10).limit(12);
        assertEquals(2, driver.run(driver.request(Op.WRITE, fd, buffer, 0, 2, 20)));
        assertEquals(10, buffer.position());
        assertEquals(12, buffer.limit());
        assertEquals(1, ring.bufferDuplicates());
        assertEquals(22, backend.size(fd));
    }

    @Test
    void shouldReportEndOfFileAsZero() throws Exception {
        Path file = dir.resolve("empty.bin");
        int fd = open(file, Backend.O_RDWR | Backend.O_CREAT);
        assertEquals(0, backend.size(fd));
        assertEquals(0, driver.run(driver.request(Op.READ, fd, ByteBuffer.allocate(8), 0, 8, 0)));
        assertEquals(0, driver.run(driver.request(Op.READ, fd, ByteBuffer.allocate(8), 0, 0, 0)), "zero length");
    }

    @Test
    void shouldTruncateDownAndUp() throws Exception {
        Path file = dir.resolve("trunc.bin");
        Files.write(file, new byte[100]);
        int fd = open(file, Backend.O_RDWR);
        assertEquals(0, backend.truncate(fd, 10));
        assertEquals(10, backend.size(fd));
        assertEquals(0, backend.truncate(fd, 4096));
        assertEquals(4096, backend.size(fd));
        assertArrayEquals(new byte[4096], Files.readAllBytes(file));
        assertEquals(0, backend.truncate(fd, 4096), "same size");
        assertEquals(-Errno.EINVAL, backend.truncate(fd, -1));
        int readOnly = open(file, Backend.O_RDONLY);
        assertEquals(-Errno.EINVAL, backend.truncate(readOnly, 0));
    }

    @Test
    void shouldMapOpenFlagsAndErrors() throws Exception {
        Path missing = dir.resolve("missing.bin");
        assertEquals(-Errno.ENOENT, backend.open(missing.toString(), Backend.O_RDONLY, 0));
        assertEquals(-Errno.ENOENT, backend.open(missing.toString(), Backend.O_RDWR, 0));
        assertEquals(-Errno.ENOENT, backend.open(dir.resolve("no/such/dir").toString(), Backend.O_RDWR | Backend.O_CREAT, 0644));
        assertEquals(-Errno.EINVAL, backend.open(missing.toString(), 3, 0), "access mode 3");
        assertEquals(-Errno.EFAULT, backend.open(null, Backend.O_RDONLY, 0));

        int created = open(missing, Backend.O_WRONLY | Backend.O_CREAT | Backend.O_EXCL);
        assertTrue(Files.exists(missing));
        assertEquals(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ)
                .containsAll(Files.getPosixFilePermissions(missing)), true, "mode 0644 (less the umask)");
        assertEquals(-Errno.EEXIST, backend.open(missing.toString(), Backend.O_RDWR | Backend.O_CREAT | Backend.O_EXCL, 0644));
        assertEquals(-Errno.EEXIST, backend.open(missing.toString(), Backend.O_RDONLY | Backend.O_CREAT | Backend.O_EXCL, 0644));
        assertEquals(-Errno.EISDIR, backend.open(dir.toString(), Backend.O_WRONLY, 0));
        int directory = open(dir, Backend.O_RDONLY); // as open(2): a directory opens read-only...
        assertEquals(-Errno.EISDIR, driver.run(driver.request(Op.READ, directory, ByteBuffer.allocate(4), 0, 4, 0)));

        // O_RDONLY: writing is EBADF; O_WRONLY: reading is EBADF
        int readOnly = open(missing, Backend.O_RDONLY);
        assertEquals(-Errno.EBADF, driver.run(driver.request(Op.WRITE, readOnly, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(-Errno.EBADF, driver.run(driver.request(Op.READ, created, ByteBuffer.allocate(4), 0, 4, 0)));

        // O_CREAT on a read-only open creates the file, as Linux does
        Path readCreated = dir.resolve("read-created.bin");
        open(readCreated, Backend.O_RDONLY | Backend.O_CREAT);
        assertTrue(Files.exists(readCreated));
    }

    @Test
    void shouldTruncateOnOpenAndAppendAtEnd() throws Exception {
        Path file = dir.resolve("log.txt");
        Files.writeString(file, "old content");
        int truncated = open(file, Backend.O_WRONLY | Backend.O_TRUNC);
        assertEquals(0, backend.size(truncated));
        assertEquals(3, driver.run(driver.request(Op.WRITE, truncated, ByteBuffer.wrap("abc".getBytes()), 0, 3, 0)));

        int append = open(file, Backend.O_RDWR | Backend.O_APPEND);
        assertEquals(3, driver.run(driver.request(Op.WRITE, append, ByteBuffer.wrap("def".getBytes()), 0, 3, 0)));
        assertEquals(3, driver.run(driver.request(Op.WRITE, append, ByteBuffer.wrap("ghi".getBytes()), 0, 3, -1)));
        assertEquals("abcdefghi", Files.readString(file));
        ByteBuffer in = ByteBuffer.allocate(3);
        assertEquals(3, driver.run(driver.request(Op.READ, append, in, 0, 3, 3)), "O_RDWR | O_APPEND still reads");
        assertEquals("def", new String(in.array()));
    }

    @Test
    void shouldReadAndWriteAtCurrentPositionForOffsetMinusOne() throws Exception {
        Path file = dir.resolve("stream.txt");
        int fd = open(file, Backend.O_RDWR | Backend.O_CREAT);
        assertEquals(3, driver.run(driver.request(Op.WRITE, fd, ByteBuffer.wrap("abc".getBytes()), 0, 3, -1)));
        assertEquals(3, driver.run(driver.request(Op.WRITE, fd, ByteBuffer.wrap("def".getBytes()), 0, 3, -1)));
        assertEquals("abcdef", Files.readString(file));
        assertEquals(-Errno.EINVAL, driver.run(driver.request(Op.READ, fd, ByteBuffer.allocate(1), 0, 1, -2)));
    }

    @Test
    void shouldRejectSocketOperationsOnFileWithEnotsock() throws Exception {
        Path file = dir.resolve("not-a-socket.bin");
        int fd = open(file, Backend.O_RDWR | Backend.O_CREAT);
        assertEquals(-Errno.ENOTSOCK, driver.run(driver.request(Op.RECV, fd, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(-Errno.ENOTSOCK, driver.run(driver.request(Op.SEND, fd, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(-Errno.ENOTSOCK, driver.run(driver.request(Op.ACCEPT, fd, null, 0, 0, 0)));
        assertEquals(-Errno.ENOTSOCK, driver.run(driver.request(Op.SHUTDOWN, fd, null, 0, 0, 0)));
        assertEquals(-Errno.ENOTSOCK, backend.listen(fd, null, 1));
        IoRequest poll = driver.withOpFlags(driver.request(Op.POLL_ADD, fd, null, 0, 0, 0), IoRequest.POLLIN | IoRequest.POLLOUT);
        assertEquals(IoRequest.POLLIN | IoRequest.POLLOUT, driver.run(poll), "a regular file is always ready");
        assertEquals(0, backend.size(fd));
        org.junit.jupiter.api.Assertions.assertNull(backend.localAddress(fd));
        org.junit.jupiter.api.Assertions.assertNull(backend.remoteAddress(fd));
    }

    @Test
    void shouldHandOutLowestFreeDescriptor() throws Exception {
        Path file = dir.resolve("numbers.bin");
        Files.write(file, new byte[1]);
        int a = open(file, Backend.O_RDONLY);
        int b = open(file, Backend.O_RDONLY);
        int c = open(file, Backend.O_RDONLY);
        assertEquals(FdTable.FIRST_FD, a);
        assertEquals(a + 1, b);
        assertEquals(b + 1, c);
        assertEquals(0, backend.close(b));
        fds.remove((Integer) b);
        assertEquals(b, open(file, Backend.O_RDONLY), "the lowest free number comes back first");
        assertEquals(3, backend.openDescriptors());
    }
}
