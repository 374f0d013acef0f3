/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.LinuxConstants;
import dev.fibril.syscall.contract.BackendFixture;
import dev.fibril.syscall.contract.BackendKind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** RECV with IOSQE_BUFFER_SELECT from a provided buffer ring: the kernel picks the buffer when data arrives. */
class IoUringProvidedBufferTest extends BackendFixture {
    private IoUringRing typedRing;
    private IoUringBackend typedBackend;

    IoUringProvidedBufferTest() {
        super(BackendKind.IO_URING);
    }

    @BeforeEach
    void typed() {
        typedRing = (IoUringRing) ring;
        typedRing.start(); // on the thread that drives it, as a carrier does: counts start after it
        typedBackend = (IoUringBackend) backend;
    }

    private static ByteBuffer[] buffers(int count, int size) {
        ByteBuffer[] b = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            b[i] = ByteBuffer.allocateDirect(size);
        }
        return b;
    }

    private IoRequest selectRecv(int fd) {
        IoRequest r = driver.request(Op.RECV, fd, null, 0, 4096, 0);
        r.flags(IoRequest.FLAG_BUFFER_SELECT);
        return r;
    }

    private void sendAll(int fd, String text) {
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
        assumeTrue(typedBackend.ioUringFeatures().enabled(IoUringFeature.PBUF_RING), "kernel has provided buffer rings");
        ByteBuffer[] bufs = buffers(2, 4096);
        assertTrue(typedRing.provideBuffers(bufs));
        int[] pair = connectedPair();
        IoRequest recv = selectRecv(pair[1]);
        driver.enqueue(recv);
        typedRing.flush(); // parked in the kernel with no buffer
        assertFalse(driver.isComplete(recv));
        sendAll(pair[0], "hello");
        assertEquals(5, driver.complete(recv));
        int id = recv.selectedBuffer();
        assertTrue(id == 0 || id == 1, "a provided buffer: " + id);
        assertEquals("hello", text(bufs[id], 5));
        typedRing.recycleBuffer(id);
    }

    @Test
    void shouldArmAPollFirstReceiveWithoutTryingItAndReceiveWhenDataArrives() {
        assumeTrue(typedBackend.ioUringFeatures().enabled(IoUringFeature.RECV_POLL_FIRST), "kernel has IORING_RECVSEND_POLL_FIRST");
        ByteBuffer[] bufs = buffers(2, 4096);
        assertTrue(typedRing.provideBuffers(bufs));
        int[] pair = connectedPair();
        IoRequest plain = selectRecv(pair[1]);
        driver.enqueue(plain);
        assertEquals(0, typedRing.lastIoprio(), "a receive that did not ask for it tries first");
        typedRing.flush();
        sendAll(pair[0], "one");
        assertEquals(3, driver.complete(plain));
        typedRing.recycleBuffer(plain.selectedBuffer());

        IoRequest waits = selectRecv(pair[1]);
        waits.opFlags(IoRequest.RECV_POLL_FIRST);
        driver.enqueue(waits);
        assertEquals(IoUringConstants.IORING_RECVSEND_POLL_FIRST, typedRing.lastIoprio());
        typedRing.flush(); // readiness armed in the kernel, no receive tried
        assertFalse(driver.isComplete(waits));
        sendAll(pair[0], "two");
        assertEquals(3, driver.complete(waits));
        assertEquals("two", text(bufs[waits.selectedBuffer()], 3));
        typedRing.recycleBuffer(waits.selectedBuffer());

        sendAll(pair[0], "three"); // already there when the receive comes: the armed readiness fires at once
        IoRequest ready = selectRecv(pair[1]);
        ready.opFlags(IoRequest.RECV_POLL_FIRST);
        assertEquals(5, driver.run(ready));
        assertEquals("three", text(bufs[ready.selectedBuffer()], 5));

        ByteBuffer own = ByteBuffer.allocateDirect(64); // a read after a short one: into the caller's buffer
        IoRequest into = driver.request(Op.RECV, pair[1], own, 0, own.capacity(), 0);
        into.opFlags(IoRequest.RECV_POLL_FIRST);
        driver.enqueue(into);
        assertEquals(IoUringConstants.IORING_RECVSEND_POLL_FIRST, typedRing.lastIoprio());
        typedRing.flush();
        assertFalse(driver.isComplete(into));
        sendAll(pair[0], "four");
        assertEquals(4, driver.complete(into));
        assertEquals("four", text(own, 4));
    }

    @Test
    void shouldNotSetPollFirstWhereItsPropertySwitchesItOff() {
        assumeTrue(typedBackend.ioUringFeatures().enabled(IoUringFeature.PBUF_RING), "kernel has provided buffer rings");
        ring.close();
        backend.close();
        typedBackend = new IoUringBackend(IoUringConfig.DEFAULT, IoUringFeatures.resolve(IoUringBackend.probe(),
                java.util.Map.of(IoUringFeature.RECV_POLL_FIRST.propertyName(), "false")::get));
        backend = typedBackend;
        typedRing = typedBackend.openRing(0);
        typedRing.start();
        ring = typedRing;
        driver = new dev.fibril.syscall.RingDriver(ring);
        ByteBuffer[] bufs = buffers(1, 4096);
        assertTrue(typedRing.provideBuffers(bufs));
        int[] pair = connectedPair();
        IoRequest r = selectRecv(pair[1]);
        r.opFlags(IoRequest.RECV_POLL_FIRST);
        driver.enqueue(r);
        assertEquals(0, typedRing.lastIoprio(), "switched off: the receive is tried first, as before");
        sendAll(pair[0], "four");
        assertEquals(4, driver.complete(r));
        assertEquals("four", text(bufs[r.selectedBuffer()], 4));
    }

    @Test
    void shouldCompleteWithEnobufsWhileEveryBufferIsOutAndPickAgainOnceOneIsRecycled() {
        assumeTrue(typedBackend.ioUringFeatures().enabled(IoUringFeature.PBUF_RING), "kernel has provided buffer rings");
        ByteBuffer[] bufs = buffers(1, 4096);
        assertTrue(typedRing.provideBuffers(bufs));
        int[] pair = connectedPair();
        sendAll(pair[0], "one");
        IoRequest first = selectRecv(pair[1]);
        assertEquals(3, driver.run(first));
        assertEquals(0, first.selectedBuffer());
        sendAll(pair[0], "two");
        IoRequest second = selectRecv(pair[1]);
        assertEquals(-Errno.ENOBUFS, driver.run(second), "no buffer in the ring: back-pressure, not loss");
        assertEquals(-1, second.selectedBuffer());
        typedRing.recycleBuffer(0);
        IoRequest third = selectRecv(pair[1]);
        assertEquals(3, driver.run(third));
        assertEquals("two", text(bufs[0], 3), "the bytes waited in the socket");
        typedRing.recycleBuffer(0);
    }

    @Test
    void shouldFailABufferSelectReceiveOnARingWithoutProvidedBuffers() {
        int[] pair = connectedPair();
        assertEquals(-Errno.EINVAL, driver.run(selectRecv(pair[1])));
        assertThrows(IllegalStateException.class, () -> typedRing.recycleBuffer(0));
    }

    @Test
    void shouldRejectBuffersThatCannotBeProvided() {
        assumeTrue(typedBackend.ioUringFeatures().enabled(IoUringFeature.PBUF_RING), "kernel has provided buffer rings");
        assertThrows(IllegalArgumentException.class, () -> typedRing.provideBuffers(buffers(3, 4096)), "not a power of two");
        assertThrows(IllegalArgumentException.class, () -> typedRing.provideBuffers(new ByteBuffer[]{ByteBuffer.allocate(64)}),
                "not direct");
        assertTrue(typedRing.provideBuffers(buffers(4, 1024)));
        assertThrows(IllegalStateException.class, () -> typedRing.provideBuffers(buffers(4, 1024)), "once per ring");
    }
}
