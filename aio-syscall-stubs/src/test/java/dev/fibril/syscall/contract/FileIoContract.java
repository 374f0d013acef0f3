/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * File READ, WRITE and FSYNC through the ring: bytes land where the request says (its position in
 * the buffer is absolute, the file offset as given), the caller's buffer keeps its position, limit
 * and mark, and end of file reads as 0.
 */
public abstract class FileIoContract extends BackendFixture {
    protected FileIoContract(BackendKind kind) {
        super(kind);
    }

    private static ByteBuffer buffer(boolean direct, int capacity) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    private static String text(ByteBuffer buffer, int position, int length) {
        byte[] out = new byte[length];
        buffer.get(position, out);
        return new String(out, StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void shouldReadBackWhatWasWrittenAtAnOffsetCopyingOnlyTheResultsBytes(boolean direct) {
        int fd = file("data", new byte[0]);
        ByteBuffer src = buffer(direct, 5).put(0, "hello".getBytes(StandardCharsets.US_ASCII), 0, 5);
        assertEquals(5, driver.run(write(fd, src, 0, 5, 10)));
        assertEquals(15, backend.size(fd));

        ByteBuffer dst = buffer(direct, 64);
        assertEquals(5, driver.run(read(fd, dst, 3, 40, 10)), "a short read at the end");
        assertEquals("hello", text(dst, 3, 5));
        assertEquals(0, dst.get(3 + 5), "only res bytes are copied out");
        assertEquals(10, driver.run(read(fd, dst, 0, 10, 0)));
        assertEquals(0, dst.get(0), "the hole before the offset reads as zeros");
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void shouldLeaveTheCallersPositionLimitAndMarkUntouched(boolean direct) {
        int fd = file("untouched", new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        ByteBuffer in = buffer(direct, 16);
        in.position(2).mark();
        in.position(4).limit(12);
        assertEquals(4, driver.run(read(fd, in, 4, 4, 0)));
        assertEquals(4, in.position());
        assertEquals(12, in.limit());
        assertEquals(2, in.reset().position(), "the mark survived");
        assertEquals(1, in.get(4));
        assertEquals(4, in.get(7));

        ByteBuffer out = buffer(direct, 16).put(0, new byte[] {9, 9});
        out.position(10).limit(12); // a region before the buffer's position: the request's position is absolute
        assertEquals(2, driver.run(write(fd, out, 0, 2, 20)));
        assertEquals(10, out.position());
        assertEquals(12, out.limit());
        assertEquals(22, backend.size(fd));
    }

    @Test
    void shouldReadIntoARegionBeyondTheLimitButWithinTheCapacity() {
        int fd = file("capacity", "abcd".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer dst = ByteBuffer.allocate(8).limit(2);
        assertEquals(4, driver.run(read(fd, dst, 4, 4, 0)));
        assertEquals(2, dst.limit());
        assertArrayEquals(new byte[] {0, 0, 0, 0, 'a', 'b', 'c', 'd'}, dst.array());
    }

    @Test
    void shouldWriteFromAReadOnlyHeapBufferRegionBeyondItsLimit() {
        int fd = file("readonly", new byte[0]);
        ByteBuffer src = ByteBuffer.wrap("xxxxabcd".getBytes(StandardCharsets.US_ASCII)).limit(2).asReadOnlyBuffer();
        assertEquals(4, driver.run(write(fd, src, 4, 4, 0)));
        ByteBuffer in = ByteBuffer.allocateDirect(4);
        assertEquals(4, driver.run(read(fd, in, 0, 4, 0)));
        assertEquals("abcd", text(in, 0, 4));
        assertEquals(2, src.limit());
    }

    @Test
    void shouldOverwriteInPlaceAtAGivenOffset() {
        int fd = file("offsets", "0123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(2, driver.run(write(fd, ascii("XY"), 0, 2, 4)));
        ByteBuffer in = ByteBuffer.allocateDirect(10);
        assertEquals(10, driver.run(read(fd, in, 0, 10, 0)));
        assertEquals("0123XY6789", text(in, 0, 10));
        assertEquals(3, driver.run(read(fd, in, 0, 3, 7)));
        assertEquals("789", text(in, 0, 3));
    }

    @Test
    void shouldReadZeroAtAndAfterTheEndOfFile() {
        int fd = file("eof", "abc".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer dst = ByteBuffer.allocate(10);
        assertEquals(1, driver.run(read(fd, dst, 0, 10, 2)));
        assertEquals(0, driver.run(read(fd, dst, 0, 10, 3)));
        assertEquals(0, driver.run(read(fd, ByteBuffer.allocateDirect(8), 0, 8, 1_000_000)));
        int empty = file("empty", new byte[0]);
        assertEquals(0, backend.size(empty));
        assertEquals(0, driver.run(read(empty, dst, 0, 8, 0)));
    }

    @Test
    void shouldCompleteZeroLengthTransfersWithZeroAndChangeNothing() {
        int fd = file("zero", "abc".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, driver.run(read(fd, null, 0, 0, 0)));
        assertEquals(0, driver.run(read(fd, ByteBuffer.allocate(8), 0, 0, 0)));
        assertEquals(0, driver.run(write(fd, ByteBuffer.allocate(0), 0, 0, 0)));
        assertEquals(3, backend.size(fd));
    }

    @Test
    void shouldZeroFillAHoleWrittenPastTheEnd() {
        int fd = file("holes", "a".getBytes(StandardCharsets.US_ASCII));
        int far = 3 * 4096 + 17;
        assertEquals(1, driver.run(write(fd, ascii("z"), 0, 1, far)));
        assertEquals(far + 1, backend.size(fd));
        ByteBuffer content = ByteBuffer.allocateDirect(far + 1);
        int read = 0;
        while (read < far + 1) {
            int n = driver.run(read(fd, content, read, far + 1 - read, read));
            assertTrue(n > 0, "read: " + n);
            read += n;
        }
        assertEquals('a', content.get(0));
        assertEquals('z', content.get(far));
        for (int i = 1; i < far; i++) {
            assertEquals(0, content.get(i), "byte " + i);
        }
    }

    @Test
    void shouldFsyncAndFdatasync() {
        int fd = file("sync", new byte[0]);
        assertEquals(4096, driver.run(write(fd, ByteBuffer.allocateDirect(4096), 0, 4096, 0)));
        assertEquals(0, driver.run(driver.request(Op.FSYNC, fd, null, 0, 0, 0)));
        assertEquals(0, driver.run(driver.withOpFlags(driver.request(Op.FSYNC, fd, null, 0, 0, 0), 1)), "IORING_FSYNC_DATASYNC");
        assertEquals(4096, backend.size(fd));
    }

    @Test
    void shouldReadAndWriteAtTheCurrentPositionForOffsetMinusOne() {
        require(Capability.CURRENT_POSITION_OFFSET);
        int fd = file("stream", new byte[0]);
        assertEquals(3, driver.run(write(fd, ascii("abc"), 0, 3, -1)));
        assertEquals(3, driver.run(write(fd, ascii("def"), 0, 3, -1)));
        ByteBuffer in = ByteBuffer.allocate(6);
        assertEquals(6, driver.run(read(fd, in, 0, 6, 0)));
        assertEquals("abcdef", text(in, 0, 6));
        assertEquals(-dev.fibril.aio.Errno.EINVAL, driver.run(read(fd, in, 0, 1, -2)));
    }

    @Test
    void shouldKeepEveryFileWorkingWhenAnInterruptedThreadFlushesTheirRequests() {
        int fd1 = file("one", "one".getBytes(StandardCharsets.US_ASCII));
        int fd2 = file("two", "two".getBytes(StandardCharsets.US_ASCII));
        IoRequest read2 = read(fd2, ByteBuffer.allocate(3), 0, 3, 0);
        IoRequest read1 = read(fd1, ByteBuffer.allocate(3), 0, 3, 0);
        IoRequest write1 = write(fd1, ascii("ONE"), 0, 3, 0);
        IoRequest sync1 = driver.request(Op.FSYNC, fd1, null, 0, 0, 0);
        driver.enqueue(read2, read1, write1, sync1);
        Thread.currentThread().interrupt();
        try {
            ring.flush();
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
        assertEquals(3, driver.run(read(fd1, again, 0, 3, 0)), "fd 1 still reads");
        assertEquals("ONE", text(again, 0, 3));
        assertEquals(3, driver.run(read(fd2, ByteBuffer.allocate(3), 0, 3, 0)), "fd 2 still reads");
    }

    @Test
    void shouldRoundTripSixtyFourMebibytes() throws Exception {
        int fd = file("big", new byte[0]);
        int chunk = 1 << 20;
        ByteBuffer src = ByteBuffer.allocateDirect(chunk);
        byte[] pattern = new byte[chunk];
        SplittableRandom random = new SplittableRandom(7);
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < 64; i++) {
            random.nextBytes(pattern);
            src.put(0, pattern);
            written.update(pattern);
            for (int done = 0; done < chunk; ) {
                int n = driver.run(write(fd, src, done, chunk - done, (long) i * chunk + done));
                assertTrue(n > 0, "write returned " + n);
                done += n;
            }
        }
        assertEquals(64L << 20, backend.size(fd));

        ByteBuffer dst = ByteBuffer.allocate(chunk + 3);
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        for (long offset = 0; offset < 64L << 20; ) {
            int n = driver.run(read(fd, dst, 3, chunk, offset));
            assertTrue(n > 0, "read returned " + n);
            read.update(dst.array(), 3, n);
            offset += n;
        }
        assertTrue(Arrays.equals(written.digest(), read.digest()), "SHA-256 differs");
    }
}
