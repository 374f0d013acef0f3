/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.LinuxConstants;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * File descriptors as open(2), close(2), ftruncate(2) and fstat(2) give them out, through the
 * backend and through the ring (OPENAT, CLOSE): flags, access modes, the errors Linux names, and
 * what a file says to socket calls.
 */
public abstract class FileDescriptorContract extends BackendFixture {
    private static final int POLLIN = IoRequest.POLLIN;
    private static final int POLLOUT = IoRequest.POLLOUT;

    protected FileDescriptorContract(BackendKind kind) {
        super(kind);
    }

    @Test
    void shouldCountOpenDescriptorsAndFailOnMissingOrExistingFiles() {
        int first = open("counted", Backend.O_RDWR | Backend.O_CREAT | Backend.O_EXCL);
        assertEquals(1, openedSinceStart());
        int other = backend.open(path("counted"), Backend.O_RDONLY, 0);
        assertTrue(other >= 0 && other != first, "open: " + other);
        assertEquals(2, openedSinceStart());
        assertEquals(0, backend.close(other));
        assertEquals(1, openedSinceStart());
        assertEquals(-Errno.EBADF, backend.close(other), "closed already");
        assertEquals(-Errno.ENOENT, backend.open(path("missing"), Backend.O_RDONLY, 0));
        assertEquals(-Errno.ENOENT, backend.open(path("missing"), Backend.O_RDWR, 0));
        assertEquals(-Errno.EEXIST, backend.open(path("counted"), Backend.O_RDWR | Backend.O_CREAT | Backend.O_EXCL, 0600));
        assertEquals(-Errno.EEXIST, backend.open(path("counted"), Backend.O_RDONLY | Backend.O_CREAT | Backend.O_EXCL, 0600));
    }

    @Test
    void shouldFailCallsOnAClosedOrUnknownDescriptorWithEbadf() {
        int fd = open("closed", Backend.O_RDWR | Backend.O_CREAT);
        closeNow(fd);
        assertEquals(-Errno.EBADF, driver.run(read(fd, ByteBuffer.allocate(8), 0, 8, 0)));
        assertEquals(-Errno.EBADF, driver.run(write(fd, ByteBuffer.allocateDirect(8), 0, 8, 0)));
        assertEquals(-Errno.EBADF, backend.size(fd));
        assertEquals(-Errno.EBADF, backend.truncate(1 << 20, 0));
        assertEquals(-Errno.EBADF, backend.size(1 << 20));
        assertEquals(-Errno.EBADF, backend.close(1 << 20));
    }

    @Test
    void shouldFailReadOnAWriteOnlyAndWriteOnAReadOnlyDescriptorWithEbadf() {
        file("access", "abc".getBytes(StandardCharsets.US_ASCII));
        int writeOnly = open("access", Backend.O_WRONLY);
        int readOnly = open("access", Backend.O_RDONLY);
        assertEquals(-Errno.EBADF, driver.run(read(writeOnly, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(-Errno.EBADF, driver.run(write(readOnly, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(3, driver.run(read(readOnly, ByteBuffer.allocate(4), 0, 4, 0)));
    }

    @Test
    void shouldCreateAFileOnAReadOnlyOpenWithCreate() {
        open("read-created", Backend.O_RDONLY | Backend.O_CREAT);
        open("read-created", Backend.O_RDWR);
    }

    @Test
    void shouldTruncateDownAndUpAndRefuseANegativeSizeOrAReadOnlyDescriptor() {
        int fd = file("trunc", "0123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, backend.truncate(fd, 4));
        assertEquals(4, backend.size(fd));
        assertEquals(0, backend.truncate(fd, 8));
        assertEquals(0, backend.truncate(fd, 8), "same size");
        ByteBuffer dst = ByteBuffer.allocate(8);
        assertEquals(8, driver.run(read(fd, dst, 0, 8, 0)));
        assertArrayEquals(new byte[] {'0', '1', '2', '3', 0, 0, 0, 0}, dst.array(), "dropped, then zeros");
        assertEquals(-Errno.EINVAL, backend.truncate(fd, -1));
        int readOnly = open("trunc", Backend.O_RDONLY);
        assertEquals(-Errno.EINVAL, backend.truncate(readOnly, 0));
    }

    @Test
    void shouldEmptyAFileOpenedWithTruncForEveryDescriptorAndAppendWhateverTheOffset() {
        int old = file("log", "old content".getBytes(StandardCharsets.US_ASCII));
        int truncated = open("log", Backend.O_WRONLY | Backend.O_TRUNC);
        assertEquals(0, backend.size(truncated));
        assertEquals(0, backend.size(old));
        assertEquals(3, driver.run(write(truncated, ascii("abc"), 0, 3, 0)));

        int append = open("log", Backend.O_RDWR | Backend.O_APPEND);
        assertEquals(3, driver.run(write(append, ascii("def"), 0, 3, 0)));
        assertEquals(3, driver.run(write(append, ascii("ghi"), 0, 3, kind.has(Capability.CURRENT_POSITION_OFFSET) ? -1 : 0)));
        ByteBuffer in = ByteBuffer.allocate(9);
        assertEquals(9, driver.run(read(old, in, 0, 9, 0)));
        assertEquals("abcdefghi", new String(in.array(), StandardCharsets.US_ASCII));
        assertEquals(3, driver.run(read(append, in, 0, 3, 3)), "O_RDWR | O_APPEND still reads");
        assertEquals("def", new String(in.array(), 0, 3, StandardCharsets.US_ASCII));
    }

    @Test
    void shouldOpenAndCloseThroughTheRing() {
        byte[] name = path("through-ring").getBytes(StandardCharsets.UTF_8);
        IoRequest open = driver.request(Op.OPENAT, LinuxConstants.AT_FDCWD, ByteBuffer.wrap(name), 0, name.length, 0640);
        open.opFlags(Backend.O_RDWR | Backend.O_CREAT | Backend.O_EXCL);
        int fd = driver.run(open);
        assertTrue(fd >= 0, "openat: " + fd);
        assertEquals(1, openedSinceStart());
        assertEquals(2, driver.run(write(fd, ascii("ok"), 0, 2, 0)));
        assertEquals(0, driver.run(driver.request(Op.CLOSE, fd, null, 0, 0, 0)));
        assertEquals(0, openedSinceStart());
        assertEquals(-Errno.EBADF, driver.run(driver.request(Op.CLOSE, fd, null, 0, 0, 0)));
        assertEquals(2, backend.size(open("through-ring", Backend.O_RDONLY)), "created under its name");

        byte[] missing = path("missing").getBytes(StandardCharsets.UTF_8);
        assertEquals(-Errno.ENOENT, driver.run(driver.request(Op.OPENAT, LinuxConstants.AT_FDCWD,
                ByteBuffer.wrap(missing), 0, missing.length, 0)));
    }

    @Test
    void shouldAnswerSocketCallsOnAFileWithEnotsockAndFindItAlwaysReady() {
        int fd = open("not-a-socket", Backend.O_RDWR | Backend.O_CREAT);
        assertEquals(-Errno.ENOTSOCK, driver.run(driver.request(Op.RECV, fd, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(-Errno.ENOTSOCK, driver.run(driver.request(Op.SEND, fd, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(-Errno.ENOTSOCK, driver.run(driver.request(Op.ACCEPT, fd, null, 0, 0, 0)));
        assertEquals(-Errno.ENOTSOCK, driver.run(driver.request(Op.SHUTDOWN, fd, null, 0, 0, 0)));
        assertEquals(-Errno.ENOTSOCK, backend.listen(fd, new java.net.InetSocketAddress("127.0.0.1", 0), 1));
        IoRequest poll = driver.withOpFlags(driver.request(Op.POLL_ADD, fd, null, 0, 0, 0), POLLIN | POLLOUT);
        assertEquals(POLLIN | POLLOUT, driver.run(poll), "a regular file is always ready");
        assertEquals(0, backend.size(fd));
        assertNull(backend.localAddress(fd));
        assertNull(backend.remoteAddress(fd));
    }

    @Test
    void shouldHandOutTheLowestFreeDescriptor() {
        require(Capability.OWN_DESCRIPTOR_TABLE);
        file("numbers", new byte[1]);
        int a = open("numbers", Backend.O_RDONLY);
        int b = open("numbers", Backend.O_RDONLY);
        int c = open("numbers", Backend.O_RDONLY);
        assertEquals(b + 1, c);
        assertEquals(a + 1, b);
        closeNow(b);
        assertEquals(b, open("numbers", Backend.O_RDONLY), "the lowest free number comes back first");
    }

    @Test
    void shouldMapHostOpenErrorsAndTheCreationMode() throws Exception {
        require(Capability.HOST_RESOURCES);
        assertEquals(-Errno.ENOENT, backend.open(path("no/such/dir"), Backend.O_RDWR | Backend.O_CREAT, 0644));
        open("created", Backend.O_WRONLY | Backend.O_CREAT | Backend.O_EXCL);
        assertTrue(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ)
                .containsAll(Files.getPosixFilePermissions(Path.of(path("created")))), "mode 0644 (less the umask)");
        assertEquals(-Errno.EISDIR, backend.open(dir.toString(), Backend.O_WRONLY, 0));
        int directory = track(backend.open(dir.toString(), Backend.O_RDONLY, 0)); // as open(2): a directory opens read-only...
        assertEquals(-Errno.EISDIR, driver.run(read(directory, ByteBuffer.allocate(4), 0, 4, 0)));
    }

    @Test
    void shouldFailOpenOfTheEmptyPathWithEnoent() {
        assertEquals(-Errno.ENOENT, backend.open("", Backend.O_RDWR | Backend.O_CREAT, 0));
    }

    @Test
    void shouldRefuseAccessModeThree() {
        require(Capability.ACCESS_MODE_3_REFUSED);
        assertEquals(-Errno.EINVAL, backend.open(path("bad"), 3 | Backend.O_CREAT, 0), "access mode 3");
    }

    @Test
    void shouldFailOpenOfANullPathWithEfault() {
        require(Capability.NULL_PATH_IS_EFAULT);
        assertEquals(-Errno.EFAULT, backend.open(null, Backend.O_RDONLY, 0));
    }

    @Test
    void shouldSpliceFromAFileIntoAPipe() {
        require(Capability.SPLICE);
        int fd = file("spliced", "spliced bytes".getBytes(StandardCharsets.US_ASCII));
        int[] pipe = new int[2];
        assertEquals(0, backend.pipe(pipe));
        track(pipe[0]);
        track(pipe[1]);
        IoRequest splice = driver.request(Op.SPLICE, fd, null, 0, 7, 8); // 7 bytes from file offset 8
        splice.opFlags(pipe[1]);
        assertEquals(5, driver.run(splice));
        ByteBuffer in = ByteBuffer.allocate(16);
        assertEquals(5, driver.run(read(pipe[0], in, 0, 16, -1)));
        assertEquals("bytes", new String(in.array(), 0, 5, StandardCharsets.US_ASCII));
    }
}
