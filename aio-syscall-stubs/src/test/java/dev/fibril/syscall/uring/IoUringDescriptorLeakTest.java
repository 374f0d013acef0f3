package dev.fibril.syscall.uring;

import dev.fibril.syscall.RingDriver;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A backend and its rings, used for files and sockets and closed, leave no descriptor behind. */
class IoUringDescriptorLeakTest {

    @Test
    void shouldLeaveNoDescriptorOpenAfterRingsFilesAndSocketsAreClosed() throws Exception {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), probe::reason);
        exercise(); // first run loads classes and opens the JDK's own jar and pipe descriptors
        long before = openFds();
        exercise();
        assertEquals(before, openFds(), "descriptors in /proc/self/fd");
    }

    private static void exercise() throws Exception {
        Path file = Files.createTempFile("fibril-leak", ".bin");
        try (IoUringBackend backend = new IoUringBackend()) {
            IoUringRing ring = backend.openRing(0);
            IoUringRing second = backend.openRing(1);
            RingDriver driver = new RingDriver(ring);
            int fd = backend.open(file.toString(), Backend.O_RDWR, 0);
            assertEquals(4, driver.run(driver.request(Op.WRITE, fd, ByteBuffer.allocate(4), 0, 4, 0)));

            int server = backend.socket();
            assertEquals(0, backend.listen(server, new InetSocketAddress("127.0.0.1", 0), 4));
            int client = backend.socket();
            IoRequest accept = driver.request(Op.ACCEPT, server, null, 0, 0, 0);
            IoRequest connect = driver.connect(client, backend.localAddress(server));
            driver.enqueue(accept, connect);
            assertEquals(0, driver.complete(connect));
            int accepted = driver.complete(accept);
            assertTrue(accepted >= 0);
            // a pending request at close time: cancelled by the backend's close(fd)
            IoRequest recv = driver.request(Op.RECV, accepted, ByteBuffer.allocate(8), 0, 8, 0);
            driver.enqueue(recv);
            ring.flush();

            for (int open : new int[]{fd, server, client, accepted}) {
                assertEquals(0, backend.close(open));
            }
            driver.complete(recv);
            assertEquals(0, backend.openDescriptors());
            ring.close();
            second.close();
        } finally {
            Files.delete(file);
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
