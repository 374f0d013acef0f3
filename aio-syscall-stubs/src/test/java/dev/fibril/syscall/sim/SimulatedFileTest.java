package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.Op;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.fibril.syscall.sim.RingDriver.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedFileTest {
    private static final int RW = Backend.O_RDWR | Backend.O_CREAT;

    private final SimulatedKernel kernel = SimulatedKernel.builder().build();
    private final RingDriver driver = new RingDriver(kernel, 0);

    @AfterEach
    void closeRing() {
        driver.ring.close();
        kernel.close();
    }

    private static ByteBuffer buffer(boolean direct, int capacity) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(ByteBuffer buffer, int length) {
        byte[] out = new byte[length];
        buffer.get(0, out);
        return new String(out, StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void shouldReadBackWhatWasWrittenAtAnOffset(boolean direct) {
        int fd = kernel.open("/data", RW, 0644);
        ByteBuffer src = buffer(direct, 5).put(0, "hello".getBytes(StandardCharsets.US_ASCII), 0, 5);
        assertEquals(5, driver.write(fd, src, 10));

        ByteBuffer dst = buffer(direct, 5);
        assertEquals(5, driver.read(fd, dst, 10));
        assertEquals("hello", text(dst, 5));
        assertEquals(15, kernel.size(fd));
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void shouldLeaveBufferPositionAndLimitUnchanged(boolean direct) {
        int fd = kernel.open("/data", RW, 0);
        ByteBuffer src = buffer(direct, 16);
        src.position(4).limit(12);
        assertEquals(8, driver.write(fd, src, 0));
        assertEquals(4, src.position());
        assertEquals(12, src.limit());

        ByteBuffer dst = buffer(direct, 16);
        dst.position(2).limit(6);
        assertEquals(4, driver.read(fd, dst, 0));
        assertEquals(2, dst.position());
        assertEquals(6, dst.limit());
    }

    @Test
    void shouldReturnZeroAtAndAfterEndOfFile() {
        int fd = kernel.open("/eof", RW, 0);
        driver.write(fd, bytes("abc"), 0);

        ByteBuffer dst = ByteBuffer.allocate(10);
        assertEquals(3, driver.read(fd, dst, 0));
        assertEquals(1, driver.read(fd, dst, 2));
        assertEquals(0, driver.read(fd, dst, 3));
        assertEquals(0, driver.read(fd, dst, 1_000_000));
    }

    @Test
    void shouldZeroFillHolesWhenWritingPastTheEnd() {
        int fd = kernel.open("/holes", RW, 0);
        driver.write(fd, bytes("a"), 0);
        long far = 3L * MemoryFile.PAGE_SIZE + 17;
        driver.write(fd, bytes("z"), far);
        assertEquals(far + 1, kernel.size(fd));

        byte[] content = kernel.fileContent("/holes");
        assertEquals('a', content[0]);
        assertEquals('z', content[(int) far]);
        for (int i = 1; i < far; i++) {
            assertEquals(0, content[i], "byte " + i);
        }
    }

    @Test
    void shouldDropDataBeyondTruncatedSizeAndReadZerosWhenGrownAgain() {
        int fd = kernel.open("/trunc", RW, 0);
        driver.write(fd, bytes("0123456789"), 0);
        assertEquals(0, kernel.truncate(fd, 4));
        assertEquals(4, kernel.size(fd));
        assertEquals(0, kernel.truncate(fd, 8));

        ByteBuffer dst = ByteBuffer.allocate(8);
        assertEquals(8, driver.read(fd, dst, 0));
        assertArrayEquals(new byte[] {'0', '1', '2', '3', 0, 0, 0, 0}, dst.array());
    }

    @Test
    void shouldRejectTruncateOfReadOnlyFdOrToNegativeSize() {
        kernel.open("/ro", RW, 0);
        int ro = kernel.open("/ro", Backend.O_RDONLY, 0);
        assertEquals(-Errno.EINVAL, kernel.truncate(ro, 0));
        int rw = kernel.open("/ro", Backend.O_RDWR, 0);
        assertEquals(-Errno.EINVAL, kernel.truncate(rw, -1));
        assertEquals(-Errno.EBADF, kernel.truncate(999, 0));
        assertEquals(-Errno.EBADF, kernel.size(999));
    }

    @Test
    void shouldCompleteFsyncWithZero() {
        int fd = kernel.open("/sync", RW, 0);
        assertEquals(0, driver.call(request(Op.FSYNC, fd, null, 0, 0, 0)));
    }

    @Test
    void shouldFailOpenOfMissingFileWithoutCreateWithEnoent() {
        assertEquals(-Errno.ENOENT, kernel.open("/missing", Backend.O_RDONLY, 0));
        assertEquals(-Errno.ENOENT, kernel.open("", RW, 0));
    }

    @Test
    void shouldFailExclusiveCreateOfExistingFileWithEexist() {
        assertTrue(kernel.open("/x", RW | Backend.O_EXCL, 0) >= 0);
        assertEquals(-Errno.EEXIST, kernel.open("/x", RW | Backend.O_EXCL, 0));
    }

    @Test
    void shouldEmptyFileOpenedWithTrunc() {
        int fd = kernel.open("/t", RW, 0);
        driver.write(fd, bytes("content"), 0);
        int again = kernel.open("/t", Backend.O_WRONLY | Backend.O_TRUNC, 0);
        assertEquals(0, kernel.size(again));
        assertEquals(0, kernel.size(fd));
    }

    @Test
    void shouldWriteAtEndOfFileWithAppendWhateverTheOffset() {
        int fd = kernel.open("/log", RW | Backend.O_APPEND, 0);
        driver.write(fd, bytes("one,"), 0);
        driver.write(fd, bytes("two"), 0);
        assertEquals("one,two", new String(kernel.fileContent("/log"), StandardCharsets.US_ASCII));
    }

    @Test
    void shouldFailReadOnWriteOnlyFdAndWriteOnReadOnlyFdWithEbadf() {
        kernel.open("/acc", RW, 0);
        int writeOnly = kernel.open("/acc", Backend.O_WRONLY, 0);
        int readOnly = kernel.open("/acc", Backend.O_RDONLY, 0);
        assertEquals(-Errno.EBADF, driver.read(writeOnly, ByteBuffer.allocate(4), 0));
        assertEquals(-Errno.EBADF, driver.write(readOnly, bytes("x"), 0));
    }

    @Test
    void shouldFailOpenWithInvalidAccessModeWithEinval() {
        assertEquals(-Errno.EINVAL, kernel.open("/bad", 3 | Backend.O_CREAT, 0));
    }

    @Test
    void shouldFailWriteBeyondMaximumFileSizeWithEfbig() {
        SimulatedKernel small = SimulatedKernel.builder().maxFileSize(1024).build();
        RingDriver smallDriver = new RingDriver(small, 0);
        int fd = small.open("/small", RW, 0);
        assertEquals(-Errno.EFBIG, smallDriver.write(fd, bytes("xy"), 1023));
        assertEquals(2, smallDriver.write(fd, bytes("xy"), 1022));
        smallDriver.ring.close();
        small.close();
    }

    @Test
    void shouldGiveLowestFreeFdAndCountOpenDescriptors() {
        int a = kernel.open("/a", RW, 0);
        int b = kernel.open("/b", RW, 0);
        assertEquals(DescriptorTable.FIRST_FD, a);
        assertEquals(a + 1, b);
        assertEquals(2, kernel.openDescriptors());
        assertEquals(0, kernel.close(a));
        assertEquals(1, kernel.openDescriptors());
        assertEquals(a, kernel.open("/c", RW, 0));
        assertEquals(-Errno.EBADF, kernel.close(999));
    }

    @Test
    void shouldKeepContentReachableThroughOpenFdAfterUnlink() {
        int fd = kernel.open("/gone", RW, 0);
        driver.write(fd, bytes("still here"), 0);
        assertEquals(0, kernel.unlink("/gone"));
        assertNull(kernel.fileContent("/gone"));
        ByteBuffer dst = ByteBuffer.allocate(10);
        assertEquals(10, driver.read(fd, dst, 0));
        assertEquals("still here", text(dst, 10));
        assertEquals(-Errno.ENOENT, kernel.unlink("/gone"));
    }

    @Test
    void shouldRoundTripSixtyFourMebibyteFile() throws Exception {
        int fd = kernel.open("/big", RW, 0);
        int chunk = 1 << 20;
        ByteBuffer src = ByteBuffer.allocateDirect(chunk);
        byte[] pattern = new byte[chunk];
        SplittableRandom random = new SplittableRandom(7);
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < 64; i++) {
            random.nextBytes(pattern);
            src.put(0, pattern);
            written.update(pattern);
            assertEquals(chunk, driver.write(fd, src, (long) i * chunk));
        }
        assertEquals(64L << 20, kernel.size(fd));

        ByteBuffer dst = ByteBuffer.allocate(chunk + 3);
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        for (long offset = 0; offset < 64L << 20; ) {
            int n = driver.call(request(Op.READ, fd, dst, 3, chunk, offset));
            assertTrue(n > 0, "read returned " + n);
            read.update(dst.array(), 3, n);
            offset += n;
        }
        assertArrayEquals(written.digest(), read.digest());
    }

    @Test
    void shouldReadIntoRegionBeyondLimitButWithinCapacity() {
        int fd = kernel.open("/cap", RW, 0);
        driver.write(fd, bytes("abcd"), 0);
        ByteBuffer dst = ByteBuffer.allocate(8).limit(2);
        assertEquals(4, driver.call(request(Op.READ, fd, dst, 4, 4, 0)));
        assertEquals(2, dst.limit());
        assertArrayEquals(new byte[] {0, 0, 0, 0, 'a', 'b', 'c', 'd'}, dst.array());
    }

    @Test
    void shouldCompleteZeroLengthReadWithZero() {
        int fd = kernel.open("/z", RW, 0);
        driver.write(fd, bytes("abc"), 0);
        assertEquals(0, driver.call(request(Op.READ, fd, null, 0, 0, 0)));
        byte[] before = kernel.fileContent("/z");
        assertEquals(0, driver.call(request(Op.WRITE, fd, ByteBuffer.allocate(0), 0, 0, 0)));
        assertTrue(Arrays.equals(before, kernel.fileContent("/z")));
    }
}
