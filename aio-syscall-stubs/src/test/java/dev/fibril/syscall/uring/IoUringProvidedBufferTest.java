package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.LinuxConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** RECV with IOSQE_BUFFER_SELECT from a provided buffer ring: the kernel picks the buffer when data arrives. */
class IoUringProvidedBufferTest extends IoUringTestBase {
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeSockets() {
        for (int fd : fds) {
            backend.close(fd);
        }
    }

    private static ByteBuffer[] buffers(int count, int size) {
        ByteBuffer[] b = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            b[i] = ByteBuffer.allocateDirect(size);
        }
        return b;
    }

    /** {client, accepted} on loopback. */
    private int[] connectedPair() {
        int server = backend.socket();
        fds.add(server);
        assertEquals(0, backend.listen(server, new InetSocketAddress("127.0.0.1", 0), 4));
        int client = backend.socket();
        fds.add(client);
        IoRequest accept = driver.request(Op.ACCEPT, server, null, 0, 0, 0);
        IoRequest connect = driver.connect(client, backend.localAddress(server));
        driver.enqueue(accept, connect);
        assertEquals(0, driver.complete(connect));
        int accepted = driver.complete(accept);
        assertTrue(accepted >= 0, "accept: " + accepted);
        fds.add(accepted);
        return new int[]{client, accepted};
    }

    private IoRequest selectRecv(int fd) {
        IoRequest r = driver.request(Op.RECV, fd, null, 0, 4096, 0);
        r.flags(IoRequest.FLAG_BUFFER_SELECT);
        return r;
    }

    private void send(int fd, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        assertEquals(bytes.length, driver.run(driver.request(Op.SEND, fd, ByteBuffer.wrap(bytes), 0, bytes.length, 0)));
    }

    private static String text(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.duplicate().clear().get(out);
        return new String(out, StandardCharsets.US_ASCII);
    }

    @Test
    void shouldReceiveIntoTheBufferTheKernelPicksWhenDataArrives() {
        assumeTrue(backend.ioUringFeatures().enabled(IoUringFeature.PBUF_RING), "kernel has provided buffer rings");
        ByteBuffer[] bufs = buffers(2, 4096);
        assertTrue(ring.provideBuffers(bufs));
        int[] pair = connectedPair();
        IoRequest recv = selectRecv(pair[1]);
        driver.enqueue(recv);
        ring.flush(); // parked in the kernel with no buffer
        assertFalse(driver.isComplete(recv));
        send(pair[0], "hello");
        assertEquals(5, driver.complete(recv));
        int id = recv.selectedBuffer();
        assertTrue(id == 0 || id == 1, "a provided buffer: " + id);
        assertEquals("hello", text(bufs[id], 5));
        ring.recycleBuffer(id);
    }

    @Test
    void shouldCompleteWithEnobufsWhileEveryBufferIsOutAndPickAgainOnceOneIsRecycled() {
        assumeTrue(backend.ioUringFeatures().enabled(IoUringFeature.PBUF_RING), "kernel has provided buffer rings");
        ByteBuffer[] bufs = buffers(1, 4096);
        assertTrue(ring.provideBuffers(bufs));
        int[] pair = connectedPair();
        send(pair[0], "one");
        IoRequest first = selectRecv(pair[1]);
        assertEquals(3, driver.run(first));
        assertEquals(0, first.selectedBuffer());
        send(pair[0], "two");
        IoRequest second = selectRecv(pair[1]);
        assertEquals(-Errno.ENOBUFS, driver.run(second), "no buffer in the ring: back-pressure, not loss");
        assertEquals(-1, second.selectedBuffer());
        ring.recycleBuffer(0);
        IoRequest third = selectRecv(pair[1]);
        assertEquals(3, driver.run(third));
        assertEquals("two", text(bufs[0], 3), "the bytes waited in the socket");
        ring.recycleBuffer(0);
    }

    @Test
    void shouldFailABufferSelectReceiveOnARingWithoutProvidedBuffers() {
        int[] pair = connectedPair();
        assertEquals(-Errno.EINVAL, driver.run(selectRecv(pair[1])));
        assertThrows(IllegalStateException.class, () -> ring.recycleBuffer(0));
    }

    @Test
    void shouldRejectBuffersThatCannotBeProvided() {
        assumeTrue(backend.ioUringFeatures().enabled(IoUringFeature.PBUF_RING), "kernel has provided buffer rings");
        assertThrows(IllegalArgumentException.class, () -> ring.provideBuffers(buffers(3, 4096)), "not a power of two");
        assertThrows(IllegalArgumentException.class, () -> ring.provideBuffers(new ByteBuffer[]{ByteBuffer.allocate(64)}),
                "not direct");
        assertTrue(ring.provideBuffers(buffers(4, 1024)));
        assertThrows(IllegalStateException.class, () -> ring.provideBuffers(buffers(4, 1024)), "once per ring");
    }
}
