/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Op;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Files: positional reads and writes, short transfers of large heap buffers, and a file range sent over a socket. */
@ParameterizedClass
@EnumSource(ChannelBackend.class)
class FileChannelContractTest extends ChannelContract {
    FileChannelContractTest(ChannelBackend backend) {
        super(backend);
    }

    @Test
    void shouldWriteReadPositionallyAndSeeEndOfFile() throws Exception {
        inFibril(() -> {
            try (FibrilFileChannel f = rt.openFile(file("positional"), READ, WRITE, CREATE)) {
                assertEquals(5, f.write(ByteBuffer.wrap("hello".getBytes()), 100));
                assertEquals(105, f.size());
                ByteBuffer direct = ByteBuffer.allocateDirect(5);
                assertEquals(5, f.read(direct, 100));
                byte[] got = new byte[5];
                direct.flip().get(got);
                assertArrayEquals("hello".getBytes(), got);
                ByteBuffer hole = ByteBuffer.allocate(4);
                assertEquals(4, f.read(hole, 0));
                assertArrayEquals(new byte[4], hole.array(), "a hole reads as zeros");
                assertEquals(-1, f.read(ByteBuffer.allocate(1), 105));
                assertEquals(-1, f.read(ByteBuffer.allocate(100), Long.MAX_VALUE - 5), "far past the end: end of file");
                f.force(true);
                f.force(false);
                f.truncate(3);
                assertEquals(3, f.size());
            }
        });
    }

    /** Appends through two channels of one file, from four fibrils: each record whole, none written over. */
    @Test
    void shouldAppendFromTwoChannelsOfOneFileWithoutOverwriting() throws Exception {
        int records = 200;
        int size = 100;
        java.nio.file.Path path = file("appended");
        inFibril(() -> {
            try (FibrilFileChannel a = rt.openFile(path, WRITE, CREATE, APPEND);
                 FibrilFileChannel b = rt.openFile(path, WRITE, CREATE, APPEND)) {
                java.util.List<Thread> writers = new java.util.ArrayList<>();
                java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
                for (int w = 0; w < 4; w++) {
                    FibrilFileChannel ch = w % 2 == 0 ? a : b;
                    byte[] record = new byte[size];
                    java.util.Arrays.fill(record, (byte) ('A' + w));
                    writers.add(rt.start(() -> {
                        try {
                            for (int i = 0; i < records; i++) {
                                assertEquals(size, ch.write(ByteBuffer.wrap(record)));
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }));
                }
                for (Thread t : writers) {
                    assertTrue(t.join(Duration.ofMinutes(1)), "a writer did not finish");
                }
                assertEquals(null, failure.get(), "a writer failed");
                assertEquals(4L * records * size, a.size(), "an append wrote over another's record");
            }
            try (FibrilFileChannel in = rt.openFile(path, READ)) {
                ByteBuffer all = ByteBuffer.allocate(4 * records * size);
                while (all.hasRemaining() && in.read(all, all.position()) > 0) {
                    // the whole file
                }
                int[] perWriter = new int[4];
                for (int r = 0; r < 4 * records; r++) {
                    byte tag = all.get(r * size);
                    for (int i = 1; i < size; i++) {
                        assertEquals(tag, all.get(r * size + i), "record " + r + " is one writer's, whole");
                    }
                    perWriter[tag - 'A']++;
                }
                assertArrayEquals(new int[] {records, records, records, records}, perWriter, "every record of every writer");
            }
        });
    }

    /**
     * A FIFO opened as a file. io_uring reads and writes it in order, whatever the offset (it
     * ignores offsets on a stream), and a read of it waits, without holding the carrier, until the
     * channel's close ends it. epoll, whose file calls block the carrier, refuses every call with
     * ESPIPE ("Illegal seek"), as pread(2) does, and not with EIO.
     */
    @Test
    void shouldReadAndWriteAFifoInOrderOnIoUringAndRefuseItWithEspipeOnEpoll() throws Exception {
        assumeTrue(kernelSockets(), "the simulated kernel has no FIFOs");
        java.nio.file.Path fifo = tempDir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        inFibril(() -> {
            try (FibrilFileChannel f = rt.openFile(fifo, READ, WRITE)) { // O_RDWR: the open waits for no other end
                if (backend == ChannelBackend.EPOLL) {
                    for (java.util.concurrent.Callable<Integer> call : java.util.List.<java.util.concurrent.Callable<Integer>>of(
                            () -> f.write(ByteBuffer.wrap("x".getBytes())), () -> f.read(ByteBuffer.allocate(1)),
                            () -> f.read(ByteBuffer.allocate(1), 0))) {
                        ErrnoException e = assertThrows(ErrnoException.class, call::call);
                        assertEquals(Errno.ESPIPE, e.errno(), e.getMessage());
                    }
                    return;
                }
                assertEquals(5, f.write(ByteBuffer.wrap("hello".getBytes())));
                assertEquals(6, f.write(ByteBuffer.wrap(" world".getBytes()), 99));
                ByteBuffer got = ByteBuffer.allocate(11);
                while (got.hasRemaining()) {
                    assertTrue(f.read(got, 7) > 0, "bytes the FIFO holds");
                }
                assertEquals("hello world", new String(got.array()));
                assertEquals(0, f.size(), "a FIFO has no size");
                java.util.concurrent.atomic.AtomicReference<Throwable> ended = new java.util.concurrent.atomic.AtomicReference<>();
                Thread reader = rt.start(() -> {
                    try {
                        f.read(ByteBuffer.allocate(1)); // nothing comes: it waits until the close
                    } catch (Throwable e) {
                        ended.set(e);
                    }
                });
                await().until(() -> reader.getState() == Thread.State.WAITING);
                f.close();
                assertTrue(reader.join(Duration.ofSeconds(30)), "the close did not end the read");
                assertTrue(ended.get() instanceof java.nio.channels.AsynchronousCloseException, "ended with: " + ended.get());
            }
        });
    }

    @Test
    void shouldMoveLargeHeapBuffersThroughShortTransfers() throws Exception {
        byte[] data = pattern(3 * MIB + 17, 1);
        inFibril(() -> {
            try (FibrilFileChannel f = rt.openFile(file("large"), READ, WRITE, CREATE)) {
                assertEquals(data.length, f.write(ByteBuffer.wrap(data), 0), "a write writes every byte");
                ByteBuffer back = ByteBuffer.allocate(data.length);
                while (back.hasRemaining()) {
                    int n = f.read(back, back.position());
                    assertTrue(n > 0, "read returned " + n);
                }
                assertArrayEquals(data, back.array());
            }
        });
    }

    @Test
    void shouldSendAFileRangeOverASocketByteExact() throws Exception {
        byte[] data = pattern(5 * MIB + 123, 7);
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        rt.meterBinder().bindTo(registry);
        inFibril(() -> {
            try (FibrilFileChannel f = rt.openFile(file("sendfile"), READ, WRITE, CREATE);
                 FibrilSocketChannel client = rt.openSocket()) {
                f.write(ByteBuffer.wrap(data), 0);
                client.connect(address);
                try (FibrilSocketChannel peer = server.accept()) {
                    long from = 1000;
                    Thread sender = rt.start(() -> {
                        try {
                            assertEquals(data.length - from, client.sendFile(f, from, Long.MAX_VALUE),
                                    "a count past the end sends up to the end of the file");
                            assertEquals(0, client.sendFile(f, data.length, 10), "nothing past the end");
                            client.shutdownOutput();
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    ByteBuffer got = ByteBuffer.allocate(data.length - (int) from);
                    readFully(peer, got);
                    assertEquals(-1, peer.read(ByteBuffer.allocate(1)));
                    assertTrue(sender.join(Duration.ofMinutes(1)));
                    assertEquals(ByteBuffer.wrap(data, (int) from, data.length - (int) from), got.flip());
                }
            }
        });
        double splices = registry.get("fibril.completions").tags("op", "splice", "outcome", "ok").functionCounter().count();
        if (rt.backend().supports(Op.SPLICE)) {
            assertTrue(splices >= 2 * (data.length / (64 * 1024)), "sent through SPLICE chains: " + splices);
        } else {
            assertEquals(0, splices, "no SPLICE on this backend: read and send");
        }
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }
}
