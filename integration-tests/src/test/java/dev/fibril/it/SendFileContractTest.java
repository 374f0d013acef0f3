/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import static java.nio.file.StandardOpenOption.READ;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sendFile's contract when several calls share one carrier: each connection gets its own file's
 * bytes and nothing else, a client that stops reading delays only its own sender, an interrupt or
 * a close ends only the call it hits (with java.nio's exceptions, the channel closed on interrupt),
 * and a tight descriptor bound never deadlocks. Every file is one letter repeated, so a byte of
 * another connection shows as a wrong letter. Subclassed per backend: io_uring runs the SPLICE
 * chains, epoll the read-and-send path.
 */
abstract class SendFileContractTest {
    static final int FILE_SIZE = 2_000_000;
    static final int CALL = 10_000;
    /** Larger than the socket buffers a stalled client is given, many times over: its sender cannot finish. */
    static final int STALLED_FILE_SIZE = 16 << 20;
    static final int SMALL_BUFFER = 64 * 1024;
    static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path tempDir;
    FibrilRuntime rt;
    FibrilServerSocketChannel server;
    final List<AutoCloseable> cleanup = new ArrayList<>();

    /** The backend's name for the builder. */
    abstract String backend();

    FibrilRuntime.Builder builder() {
        return Fibril.runtime().backend(backend());
    }

    void start(UnaryOperator<FibrilRuntime.Builder> options) throws IOException {
        rt = options.apply(builder().carriers(1).strict(true)).build();
        server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 64);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : cleanup.reversed()) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort: the runtime's close below releases what is left
            }
        }
        if (rt != null) {
            rt.close();
        }
    }

    Path letterFile(char letter, int size) throws IOException {
        byte[] bytes = new byte[size];
        java.util.Arrays.fill(bytes, (byte) letter);
        return Files.write(tempDir.resolve("file-" + letter), bytes);
    }

    FibrilFileChannel open(Path file) throws IOException {
        FibrilFileChannel f = rt.openFile(file, READ);
        cleanup.add(f);
        return f;
    }

    /** A JDK client on loopback and the runtime's end of its connection. */
    final class Connection {
        final SocketChannel client;
        final FibrilSocketChannel sender;

        Connection(boolean smallBuffers) throws IOException {
            this(smallBuffers ? SMALL_BUFFER : 0);
        }

        /** With {@code bufferSize} > 0, both ends' socket buffers are set to it (no autotuning). */
        Connection(int bufferSize) throws IOException {
            client = SocketChannel.open();
            cleanup.add(client);
            if (bufferSize > 0) {
                client.setOption(StandardSocketOptions.SO_RCVBUF, bufferSize); // before connect: fixes the window
            }
            client.connect(server.localAddress());
            sender = server.accept();
            cleanup.add(sender);
            if (bufferSize > 0) {
                sender.setOption(StandardSocketOptions.SO_SNDBUF, bufferSize);
            }
        }
    }

    /** What a reading client saw: how many bytes, and how many of them were not its letter. */
    static final class Received {
        final AtomicLong total = new AtomicLong();
        final AtomicLong wrong = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(1);

        void assertExactly(char letter, long size) throws InterruptedException {
            assertTrue(done.await(BOUND.toSeconds(), TimeUnit.SECONDS), "client of '" + letter + "' still reading: "
                    + total.get() + " bytes so far");
            assertNull(failure.get(), "client of '" + letter + "' failed");
            assertEquals(0, wrong.get(), "bytes that are not '" + letter + "' (another connection's)");
            assertEquals(size, total.get(), "bytes received for '" + letter + "'");
        }
    }

    /**
     * Reads {@code client} to end of stream on a platform thread, counting bytes that are not
     * {@code letter}; pauses once (until {@code resume}) after {@code pauseAfter} bytes if given.
     */
    static Received readAll(SocketChannel client, char letter, long pauseAfter, CountDownLatch paused,
                            CountDownLatch resume) {
        Received r = new Received();
        Thread.ofPlatform().daemon().name("client-" + letter).start(() -> {
            try {
                ByteBuffer buf = ByteBuffer.allocate(32 * 1024);
                boolean pausedOnce = false;
                int n;
                while ((n = client.read(buf.clear())) >= 0) {
                    for (int i = 0; i < n; i++) {
                        if (buf.get(i) != (byte) letter) {
                            r.wrong.incrementAndGet();
                        }
                    }
                    r.total.addAndGet(n);
                    if (!pausedOnce && resume != null && r.total.get() >= pauseAfter) {
                        pausedOnce = true;
                        paused.countDown();
                        resume.await();
                    }
                }
            } catch (Throwable e) {
                r.failure.set(e);
            } finally {
                r.done.countDown();
            }
        });
        return r;
    }

    static Received readAll(SocketChannel client, char letter) {
        return readAll(client, letter, 0, null, null);
    }

    /** A fibril that sends {@code file} whole in {@code call}-byte sendFile calls, then half-closes. */
    Thread sendInCalls(Connection c, FibrilFileChannel file, long size, int call, AtomicReference<Throwable> thrown) {
        return rt.start(() -> {
            try {
                for (long at = 0; at < size; at += call) {
                    long want = Math.min(call, size - at);
                    long n = c.sender.sendFile(file, at, want);
                    if (n != want) {
                        throw new AssertionError("sendFile at " + at + " sent " + n + " of " + want);
                    }
                }
                c.sender.shutdownOutput();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
    }

    static void assertFinished(Thread t, AtomicReference<Throwable> thrown, String what) throws InterruptedException {
        assertTrue(t.join(BOUND), what + " did not finish");
        assertNull(thrown.get(), what + " failed");
    }

    /** A connection whose client never reads, and a fibril blocked in sendFile on it for good. */
    final class Stalled {
        final Connection connection;
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final Thread sender;

        Stalled() throws IOException {
            this(open(letterFile('X', STALLED_FILE_SIZE)));
        }

        /** On {@code file}, of {@link #STALLED_FILE_SIZE} bytes of 'X' (several stalled senders may share it). */
        Stalled(FibrilFileChannel file) throws IOException {
            connection = new Connection(true);
            sender = sendInCalls(connection, file, STALLED_FILE_SIZE, STALLED_FILE_SIZE, thrown);
            // It cannot finish: its client reads nothing and the buffers hold a fraction of the file.
            await().atMost(BOUND).until(() -> sender.getState() == Thread.State.WAITING
                    && rt.stats().descriptorsInUse() > 0);
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldDeliverEachConnectionItsOwnFileWhenFourSendersShareOneCarrier() throws Exception {
        start(b -> b);
        char[] letters = {'A', 'B', 'C', 'D'};
        List<Received> received = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        List<AtomicReference<Throwable>> thrown = new ArrayList<>();
        for (char letter : letters) {
            Connection c = new Connection(8192); // sends shorter than a call are common: chains overlap
            FibrilFileChannel file = open(letterFile(letter, FILE_SIZE));
            received.add(readAll(c.client, letter));
            AtomicReference<Throwable> t = new AtomicReference<>();
            thrown.add(t);
            senders.add(sendInCalls(c, file, FILE_SIZE, CALL, t));
        }
        for (int i = 0; i < letters.length; i++) {
            assertFinished(senders.get(i), thrown.get(i), "sender of '" + letters[i] + "'");
            received.get(i).assertExactly(letters[i], FILE_SIZE);
        }
        await().atMost(BOUND).until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldKeepSendingToOneClientWhileAnotherOnTheSameCarrierStopsReading() throws Exception {
        start(b -> b);
        Stalled stalled = new Stalled();
        Connection c = new Connection(true);
        FibrilFileChannel file = open(letterFile('Y', FILE_SIZE));
        Received y = readAll(c.client, 'Y');
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread sender = sendInCalls(c, file, FILE_SIZE, CALL, thrown);
        assertFinished(sender, thrown, "sender to the reading client");
        y.assertExactly('Y', FILE_SIZE);
        assertTrue(stalled.sender.isAlive(), "the sender to the client that reads nothing is still blocked");
        assertNull(stalled.thrown.get());

        Received x = readAll(stalled.connection.client, 'X'); // now it reads: the stalled stream is intact too
        assertFinished(stalled.sender, stalled.thrown, "sender to the client that resumed reading");
        x.assertExactly('X', STALLED_FILE_SIZE);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldKeepSendingWhenMoreClientsStopReadingThanTheCarrierHasSplicePipes() throws Exception {
        start(b -> b);
        FibrilFileChannel shared = open(letterFile('X', STALLED_FILE_SIZE));
        List<Stalled> stalled = new ArrayList<>();
        for (int i = 0; i < 20; i++) { // more than a carrier keeps pipes for: the rest must not wait for one
            stalled.add(new Stalled(shared));
        }
        Connection c = new Connection(true);
        FibrilFileChannel file = open(letterFile('Y', FILE_SIZE));
        Received y = readAll(c.client, 'Y');
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread sender = sendInCalls(c, file, FILE_SIZE, CALL, thrown);
        assertFinished(sender, thrown, "sender to the reading client");
        y.assertExactly('Y', FILE_SIZE);
        assertTrue(rt.stats().ownFileDescriptors() <= 2 * 20, "pipes: " + rt.stats().ownFileDescriptors());
        for (Stalled s : stalled) {
            assertTrue(s.sender.isAlive(), "the senders to clients that read nothing are still blocked");
            s.connection.sender.close();
        }
        for (Stalled s : stalled) {
            assertTrue(s.sender.join(BOUND), "a close ends a blocked sendFile");
        }
        await().atMost(BOUND).until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldCloseOnlyTheInterruptedSendersChannelAndLeaveTheOtherStreamIntact() throws Exception {
        start(b -> b);
        Stalled stalled = new Stalled();
        Connection c = new Connection(true);
        FibrilFileChannel file = open(letterFile('Y', FILE_SIZE));
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        Received y = readAll(c.client, 'Y', FILE_SIZE / 4, paused, resume);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread sender = sendInCalls(c, file, FILE_SIZE, CALL, thrown);
        assertTrue(paused.await(BOUND.toSeconds(), TimeUnit.SECONDS), "the reading client got a quarter");

        stalled.sender.interrupt(); // while the other stream is half sent
        assertTrue(stalled.sender.join(BOUND), "the interrupted sendFile returned");
        assertInstanceOf(ClosedByInterruptException.class, stalled.thrown.get(), "what the interrupted sendFile threw");
        assertFalse(stalled.connection.sender.isOpen(), "an interrupt closes the channel, as in java.nio");
        Received x = readAll(stalled.connection.client, 'X');
        assertTrue(x.done.await(BOUND.toSeconds(), TimeUnit.SECONDS), "the interrupted connection ended");
        assertEquals(0, x.wrong.get(), "the interrupted connection got only its own bytes");

        resume.countDown();
        assertFinished(sender, thrown, "the other sender");
        y.assertExactly('Y', FILE_SIZE);
        await().atMost(BOUND).until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldCompleteConcurrentSendFilesAtADescriptorBoundOfThreeWithAReadParked() throws Exception {
        start(b -> b.descriptorPoolSize(1).descriptorPoolBound(3));
        Connection idle = new Connection(false);
        Thread reader = rt.start(() -> {
            try {
                idle.sender.read(ByteBuffer.allocate(16));
            } catch (IOException expected) {
                // closed at the end of the test
            }
        });
        await().atMost(BOUND).until(() -> reader.getState() == Thread.State.WAITING
                && rt.stats().descriptorsInUse() == 1);
        char[] letters = {'P', 'Q', 'R'};
        List<Received> received = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        List<AtomicReference<Throwable>> thrown = new ArrayList<>();
        for (char letter : letters) {
            Connection c = new Connection(true);
            FibrilFileChannel file = open(letterFile(letter, FILE_SIZE));
            received.add(readAll(c.client, letter));
            AtomicReference<Throwable> t = new AtomicReference<>();
            thrown.add(t);
            senders.add(sendInCalls(c, file, FILE_SIZE, 100_000, t));
        }
        for (int i = 0; i < letters.length; i++) {
            assertFinished(senders.get(i), thrown.get(i), "sender of '" + letters[i] + "'");
            received.get(i).assertExactly(letters[i], FILE_SIZE);
        }
        assertTrue(reader.isAlive(), "the idle read is still parked");
        idle.sender.close();
        assertTrue(reader.join(BOUND));
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldCloseTheChannelWhenInterruptedWhileWaitingForADescriptor() throws Exception {
        start(b -> b.descriptorPoolSize(1).descriptorPoolBound(1));
        Connection c = new Connection(false); // accepted first: once the idle read holds the only descriptor, accept waits too
        Connection idle = new Connection(false);
        Thread reader = rt.start(() -> {
            try {
                idle.sender.read(ByteBuffer.allocate(16));
            } catch (IOException expected) {
                // closed at the end of the test
            }
        });
        await().atMost(BOUND).until(() -> reader.getState() == Thread.State.WAITING
                && rt.stats().descriptorsInUse() == 1);
        FibrilFileChannel file = open(letterFile('Z', FILE_SIZE));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread sender = sendInCalls(c, file, FILE_SIZE, FILE_SIZE, thrown);
        await().atMost(BOUND).until(() -> rt.stats().descriptorWaiters() == 1);

        sender.interrupt();
        assertTrue(sender.join(BOUND), "the interrupted sendFile returned");
        assertInstanceOf(ClosedByInterruptException.class, thrown.get(), "what the interrupted sendFile threw");
        assertFalse(c.sender.isOpen(), "an interrupt while waiting for a descriptor closes the channel too");
        assertTrue(file.isOpen(), "the file channel is not the interrupted call's channel");
        idle.sender.close();
        assertTrue(reader.join(BOUND));
        await().atMost(BOUND).until(() -> rt.stats().descriptorsInUse() == 0);
    }
}
