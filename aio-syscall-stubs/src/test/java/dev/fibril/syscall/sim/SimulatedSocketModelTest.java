/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.sim;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import static dev.fibril.aio.spi.Backend.SOL_SOCKET;
import static dev.fibril.aio.spi.Backend.SO_RCVBUF;
import static dev.fibril.aio.spi.Backend.SO_SNDBUF;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the simulated kernel models its own way, on a 1 KiB socket buffer: ephemeral ports, a
 * backlog that refuses, partial and waiting sends, POLLOUT that waits for room, EPIPE to a
 * waiting send whose peer goes, and SHUT_RD that fails the peer's sends.
 */
class SimulatedSocketModelTest {
    private static final int BUFFER_BYTES = 1024;
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    private final SimulatedKernel kernel = SimulatedKernel.builder().socketBufferBytes(BUFFER_BYTES).build();
    private final SimulatedRing ring = kernel.openRing(0);
    private final RingDriver driver = new RingDriver(ring);

    @AfterEach
    void closeEverything() {
        ring.close();
        kernel.close();
    }

    private int listener(int backlog) {
        int fd = kernel.socket();
        assertEquals(0, kernel.listen(fd, ANY_PORT, backlog));
        return fd;
    }

    private int[] pair() {
        int listener = listener(4);
        int client = kernel.socket();
        assertEquals(0, driver.run(driver.connect(client, kernel.localAddress(listener))));
        int server = driver.run(driver.request(Op.ACCEPT, listener, null, 0, 0, 0));
        assertEquals(0, kernel.close(listener));
        return new int[] {client, server};
    }

    private IoRequest send(int fd, int length) {
        return driver.request(Op.SEND, fd, ByteBuffer.allocate(length), 0, length, 0);
    }

    private IoRequest recv(int fd, int length) {
        return driver.request(Op.RECV, fd, ByteBuffer.allocate(length), 0, length, 0);
    }

    @Test
    void shouldListenOnAnEphemeralPortAndStartBuffersAtTheModelsSize() {
        int fd = listener(4);
        assertTrue(kernel.localAddress(fd).getPort() >= 40_000, "ephemeral port " + kernel.localAddress(fd).getPort());
        int socket = kernel.socket();
        assertEquals(BUFFER_BYTES, kernel.getOption(socket, SOL_SOCKET, SO_RCVBUF), "the kernel's socket buffer size");
        assertEquals(BUFFER_BYTES, kernel.getOption(socket, SOL_SOCKET, SO_SNDBUF), "the kernel's socket buffer size");
    }

    @Test
    void shouldRefuseAConnectWhenTheBacklogIsFull() {
        int listener = listener(2);
        InetSocketAddress address = kernel.localAddress(listener);
        assertEquals(0, driver.run(driver.connect(kernel.socket(), address)));
        assertEquals(0, driver.run(driver.connect(kernel.socket(), address)));
        assertEquals(-Errno.ECONNREFUSED, driver.run(driver.connect(kernel.socket(), address)));
        assertTrue(driver.run(driver.request(Op.ACCEPT, listener, null, 0, 0, 0)) >= 0);
        assertEquals(0, driver.run(driver.connect(kernel.socket(), address)));
    }

    @Test
    void shouldSendPartiallyWhenThePeerBufferIsNearlyFullAndWaitWhenItIsFull() {
        int[] pair = pair();
        assertEquals(1000, driver.run(send(pair[0], 1000)));
        assertEquals(24, driver.run(send(pair[0], 100)));
        IoRequest blocked = driver.submit(send(pair[0], 10));
        assertFalse(driver.isComplete(blocked));
        IoRequest writable = driver.submit(driver.withOpFlags(driver.request(Op.POLL_ADD, pair[0], null, 0, 0, 0), 0x4));
        assertFalse(driver.isComplete(writable), "the peer's inbox is full");
        assertEquals(512, driver.run(recv(pair[1], 512)));
        assertEquals(10, driver.complete(blocked));
        assertEquals(0x4, driver.complete(writable));
    }

    @Test
    void shouldFailAWaitingSendWithEpipeWhenThePeerCloses() {
        int[] pair = pair();
        assertEquals(BUFFER_BYTES, driver.run(send(pair[1], BUFFER_BYTES)));
        IoRequest waiting = driver.submit(send(pair[1], 10));
        assertEquals(0, kernel.close(pair[0]));
        assertEquals(-Errno.EPIPE, driver.complete(waiting));
        assertEquals(-Errno.EPIPE, driver.run(send(pair[1], 1)));
        assertEquals(0, kernel.close(pair[1]));
    }

    @Test
    void shouldFailThePeersSendAfterShutdownOfInput() {
        int[] pair = pair();
        IoRequest shutdown = driver.withOpFlags(driver.request(Op.SHUTDOWN, pair[1], null, 0, 0, 0), IoRequest.SHUT_RD);
        assertEquals(0, driver.run(shutdown));
        assertEquals(-Errno.EPIPE, driver.run(send(pair[0], 1)));
        assertEquals(0, kernel.close(pair[0]));
        assertEquals(0, kernel.close(pair[1]));
    }
}
