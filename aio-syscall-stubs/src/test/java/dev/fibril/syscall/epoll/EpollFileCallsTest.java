/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.epoll;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.contract.BackendFixture;
import dev.fibril.syscall.contract.BackendKind;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What only the epoll backend's file path counts: one blocking NIO call per request, buffer duplicates, its fd numbers. */
class EpollFileCallsTest extends BackendFixture {
    EpollFileCallsTest() {
        super(BackendKind.EPOLL);
    }

    private EpollRing epoll() {
        return (EpollRing) ring;
    }

    @Test
    void shouldMakeOneBlockingCallPerFileRequest() {
        int fd = file("data", new byte[0]);
        long before = epoll().blockingFileCalls();
        assertEquals(4, driver.run(write(fd, ascii("abcd"), 0, 4, 0)));
        assertEquals(4, driver.run(write(fd, ByteBuffer.allocateDirect(4), 0, 4, 4)));
        assertEquals(0, driver.run(driver.request(Op.FSYNC, fd, null, 0, 0, 0)));
        assertEquals(0, driver.run(driver.withOpFlags(driver.request(Op.FSYNC, fd, null, 0, 0, 0), NioCalls.FSYNC_DATASYNC)));
        assertEquals(4, driver.run(read(fd, ByteBuffer.allocateDirect(8), 0, 4, 0)));
        assertEquals(4, driver.run(read(fd, ByteBuffer.allocate(8), 0, 8, 4)));
        assertEquals(0, driver.run(read(fd, ByteBuffer.allocate(8), 0, 8, 1000)));
        assertEquals(before + 7, epoll().blockingFileCalls(), "2 writes, 2 fsyncs, 3 reads: one blocking call each");
    }

    @Test
    void shouldNeverReachTheFileWithARegionOutsideTheBuffer() {
        int fd = file("fault", new byte[0]);
        ByteBuffer heap = ByteBuffer.allocate(16);
        IoRequest[] bad = {
                read(fd, heap, 10, 10, 0),
                write(fd, ByteBuffer.allocateDirect(16), 0, 17, 0),
                read(fd, heap, 0, -1, 0),
                write(fd, heap, -1, 4, 0),
                write(fd, null, 0, 4, 0),
                read(fd, heap.asReadOnlyBuffer(), 0, 4, 0),
                read(fd, heap, Integer.MAX_VALUE, Integer.MAX_VALUE, 0),
        };
        long before = epoll().blockingFileCalls();
        driver.enqueue(bad);
        for (IoRequest r : bad) {
            assertEquals(-Errno.EFAULT, driver.complete(r));
        }
        assertEquals(before, epoll().blockingFileCalls(), "a bad region never reaches the file");
    }

    @Test
    void shouldDuplicateTheBufferOnlyForARegionBeforeItsPosition() {
        int fd = file("dup", new byte[8]);
        ByteBuffer buffer = ByteBuffer.allocateDirect(16); // a heap buffer goes through the ring's bounce
        buffer.position(4).limit(12);
        assertEquals(4, driver.run(read(fd, buffer, 4, 4, 0)));
        assertEquals(0, epoll().bufferDuplicates());
        buffer.position(10);
        assertEquals(2, driver.run(write(fd, buffer, 0, 2, 20)));
        assertEquals(1, epoll().bufferDuplicates());
    }

    @Test
    void shouldNumberDescriptorsFromTheFirstFreeAndHoldOffInterrupts() {
        int fd = open("numbers", Backend.O_RDWR | Backend.O_CREAT);
        assertEquals(FdTable.FIRST_FD, fd);
        assertTrue(InterruptShield.holdsOffConcurrentInterrupts(), "java.lang is open to the tests, as to the runtime");
    }
}
