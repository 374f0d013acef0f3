/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilSocketChannel;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several fibrils writing to one socket at once, as {@link java.nio.channels.WritableByteChannel}
 * has it: one write at a time, each whole on the wire however many sends it takes; a writer
 * waiting for its turn ends with the channel's close or its own interrupt, as a blocked one does.
 */
@ParameterizedClass
@EnumSource(ChannelBackend.class)
class SocketWritersContractTest extends ChannelContract {
    private static final int SIZE = 4 * MIB;

    SocketWritersContractTest(ChannelBackend backend) {
        super(backend);
    }

    @Test
    void shouldKeepEachOfThreeConcurrentWritesWhole() throws Exception {
        FibrilSocketChannel[] pair = pair();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            byte[] run = new byte[SIZE];
            Arrays.fill(run, (byte) ('A' + w));
            writers.add(rt.start(() -> {
                try {
                    assertEquals(SIZE, pair[0].write(ByteBuffer.wrap(run)));
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        assertEquals(3, runsReceived(pair[1], 3 * SIZE), "three writes, one after another, each whole");
        for (Thread t : writers) {
            assertTrue(t.join(Duration.ofMinutes(1)), "a writer did not finish");
        }
        assertNull(failure.get(), () -> "a writer failed: " + failure.get());
    }

    @Test
    void shouldKeepASendFileWholeNextToAConcurrentWrite() throws Exception {
        FibrilSocketChannel[] pair = pair();
        byte[] fileBytes = new byte[SIZE];
        Arrays.fill(fileBytes, (byte) 'F');
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (FibrilFileChannel file = rt.openFile(file("sent"), READ, WRITE, CREATE)) {
            assertEquals(SIZE, file.write(ByteBuffer.wrap(fileBytes), 0));
            byte[] run = new byte[SIZE];
            Arrays.fill(run, (byte) 'W');
            Thread sender = rt.start(() -> {
                try {
                    long sent = 0;
                    while (sent < SIZE) {
                        sent += pair[0].sendFile(file, sent, SIZE - sent);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            Thread writer = rt.start(() -> {
                try {
                    pair[0].write(ByteBuffer.wrap(run));
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            int runs = runsReceived(pair[1], 2 * SIZE);
            assertTrue(sender.join(Duration.ofMinutes(1)) && writer.join(Duration.ofMinutes(1)), "a sender did not finish");
            assertNull(failure.get(), () -> "a sender failed: " + failure.get());
            // a sendFile of several calls may let the write in between its calls, never inside one
            assertTrue(runs == 2 || runs == 3, "runs of one sender's bytes: " + runs);
        }
    }

    @Test
    void shouldEndAWriterWaitingForItsTurnWithTheClose() throws Exception {
        Writers w = blockedAndWaiting();
        w.channel.close();
        assertTrue(w.blocked.join(Duration.ofSeconds(30)) && w.waiting.join(Duration.ofSeconds(30)), "a writer stayed blocked");
        assertInstanceOf(AsynchronousCloseException.class, w.first.get());
        assertInstanceOf(AsynchronousCloseException.class, w.second.get());
    }

    @Test
    void shouldCloseOnTheInterruptOfAWriterWaitingForItsTurn() throws Exception {
        Writers w = blockedAndWaiting();
        w.waiting.interrupt();
        assertTrue(w.waiting.join(Duration.ofSeconds(30)), "the interrupted writer stayed blocked");
        assertInstanceOf(ClosedByInterruptException.class, w.second.get());
        assertFalse(w.channel.isOpen(), "an interrupt closes the channel");
        assertTrue(w.blocked.join(Duration.ofSeconds(30)), "the close did not end the blocked writer");
        assertInstanceOf(AsynchronousCloseException.class, w.first.get());
    }

    @Test
    void shouldRefuseAWriterWhoseTurnCameAfterTheOutputWasShut() throws Exception {
        Writers w = blockedAndWaiting();
        w.channel.shutdownOutput(); // the blocked send fails (EPIPE); the waiting one must not send after the FIN
        assertTrue(w.blocked.join(Duration.ofSeconds(30)) && w.waiting.join(Duration.ofSeconds(30)), "a writer stayed blocked");
        assertInstanceOf(java.io.IOException.class, w.first.get());
        assertInstanceOf(java.nio.channels.ClosedChannelException.class, w.second.get(), "as java.nio: " + w.second.get());
        assertTrue(w.channel.isOpen());
    }

    /** Two writers of one channel whose peer reads nothing, and what each ended with. */
    private record Writers(FibrilSocketChannel channel, Thread blocked, AtomicReference<Throwable> first,
                           Thread waiting, AtomicReference<Throwable> second) {
    }

    /** A writer blocked for good in its send, and a second one parked waiting for its turn. */
    private Writers blockedAndWaiting() throws Exception {
        FibrilSocketChannel channel = pair()[0];
        AtomicReference<Throwable> first = new AtomicReference<>();
        AtomicReference<Throwable> second = new AtomicReference<>();
        Thread blocked = rt.start(() -> first.set(writeForever(channel)));
        await().until(() -> blocked.getState() == Thread.State.WAITING);
        Thread waiting = rt.start(() -> second.set(writeForever(channel)));
        await().until(() -> waiting.getState() == Thread.State.WAITING);
        return new Writers(channel, blocked, first, waiting, second);
    }

    /** A connected client and the server's end of it. */
    private FibrilSocketChannel[] pair() throws Exception {
        FibrilSocketChannel[] pair = new FibrilSocketChannel[2];
        inFibril(() -> {
            pair[0] = rt.openSocket();
            pair[0].connect(address);
            pair[1] = server.accept();
        });
        return pair;
    }

    /** Writes 1 MiB chunks until the write throws, and returns what it threw. */
    private static Throwable writeForever(FibrilSocketChannel ch) {
        ByteBuffer chunk = ByteBuffer.allocateDirect(MIB);
        try {
            while (true) {
                ch.write(chunk.clear());
            }
        } catch (Throwable e) {
            return e;
        }
    }

    /** Reads {@code total} bytes in a fibril and counts the runs of equal bytes in them. */
    private int runsReceived(FibrilSocketChannel in, int total) throws Exception {
        int[] runs = new int[1];
        inFibril(() -> {
            ByteBuffer all = ByteBuffer.allocate(total);
            readFully(in, all);
            byte[] a = all.array();
            runs[0] = 1;
            for (int i = 1; i < a.length; i++) {
                if (a[i] != a[i - 1]) {
                    runs[0]++;
                }
            }
        });
        return runs[0];
    }
}
