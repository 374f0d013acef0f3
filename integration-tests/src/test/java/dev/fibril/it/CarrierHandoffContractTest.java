/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A fibril that holds its carrier's thread — a CPU loop, a blocking java.io read, a park while
 * pinned in a class initializer — must not stop the other fibrils of that carrier: past the
 * hand-off threshold the carrier goes on on another thread. Every runtime here has one carrier, and
 * in each test the holding fibril waits for something only a neighbour on that carrier can do, so
 * the test finishes only if the carrier was handed off (without it, it times out). Subclassed once
 * per backend.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
abstract class CarrierHandoffContractTest {
    /** How long a test waits for a fibril: generous, since nothing here asserts on time. */
    static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final byte[] FIFO_DATA = "through the fifo".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tempDir;
    FibrilRuntime rt;
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** Run before the runtime closes, so that a test that failed does not leave a fibril holding the carrier. */
    private final List<Runnable> unblock = new ArrayList<>();
    private volatile boolean released;

    /** The backend's name for the builder. */
    abstract String backend();

    /** A one-carrier runtime on this backend with the given hand-off threshold. */
    FibrilRuntime runtime(Duration handoffThreshold) {
        rt = oneCarrier().handoffThreshold(handoffThreshold).build();
        return rt;
    }

    /** A one-carrier runtime on this backend with the default hand-off threshold. */
    FibrilRuntime runtime() {
        rt = oneCarrier().build();
        return rt;
    }

    private FibrilRuntime.Builder oneCarrier() {
        return Fibril.runtime().carriers(1).backend(backend()).strict(true);
    }

    @AfterEach
    void stop() {
        released = true;
        unblock.forEach(Runnable::run);
        if (rt != null) {
            rt.close();
        }
    }

    /** Starts {@code body} in a fibril; what it throws lands in {@link #failure}. */
    Thread fibril(PinnedInitializer.Body body) {
        return rt.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
    }

    static void assertFinished(Thread t, String what) throws InterruptedException {
        assertTrue(t.join(PATIENCE), () -> what + " did not finish within " + PATIENCE.toSeconds()
                + " s: its carrier was not handed to another thread; it is at" + stackOf(t));
    }

    static String stackOf(Thread t) {
        StringBuilder s = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            s.append("\n  at ").append(e);
        }
        return s.toString();
    }

    @Test
    void shouldFinishASpinnerWhoseFlagOnlyANeighbourThatSleepsAndDoesSocketIoSets() throws Exception {
        runtime();
        var spinning = new java.util.concurrent.CountDownLatch(1);
        Thread spinner = fibril(() -> {
            spinning.countDown();
            while (!released) {
                Thread.onSpinWait(); // holds the only carrier's thread until the neighbour sets the flag
            }
        });
        assertTrue(spinning.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the spinner started");
        Thread neighbour = fibril(() -> {
            NeighbourWork.sleepsAndAnEcho(rt);
            released = true;
        });
        assertFinished(spinner, "the spinner");
        assertFinished(neighbour, "the neighbour");
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        RuntimeStats stats = rt.stats();
        assertTrue(stats.handoffs() >= 1, () -> "the carrier was handed off: " + stats);
    }

    @Test
    void shouldFinishAFileInputStreamReadOfAFifoWhoseWriterIsANeighbour() throws Exception {
        runtime();
        Path fifo = fifo("fis");
        byte[][] got = new byte[1][];
        var reading = new java.util.concurrent.CountDownLatch(1);
        Thread reader = fibril(() -> {
            reading.countDown();
            // open(2) of a FIFO for reading blocks until a writer opens it; then read(2) blocks until data or EOF
            try (FileInputStream in = new FileInputStream(fifo.toFile())) {
                got[0] = in.readAllBytes();
            }
        });
        assertTrue(reading.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the reader started");
        Thread writer = fibril(() -> writeFifo(fifo));
        unblockOnFailure(fifo, reader, writer);
        assertFinished(reader, "the FileInputStream reader");
        assertFinished(writer, "the writer");
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        assertArrayEquals(FIFO_DATA, got[0]);
    }

    @Test
    void shouldFinishFilesReadAllBytesOfAFifoWhoseWriterIsANeighbour() throws Exception {
        runtime();
        Path fifo = fifo("nio");
        byte[][] got = new byte[1][];
        var reading = new java.util.concurrent.CountDownLatch(1);
        Thread reader = fibril(() -> {
            reading.countDown();
            got[0] = Files.readAllBytes(fifo); // a FileChannel's open(2) and read(2): both block the thread
        });
        assertTrue(reading.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the reader started");
        Thread writer = fibril(() -> writeFifo(fifo));
        unblockOnFailure(fifo, reader, writer);
        assertFinished(reader, "the Files.readAllBytes reader");
        assertFinished(writer, "the writer");
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        assertArrayEquals(FIFO_DATA, got[0]);
    }

    /**
     * The neighbour's read was submitted by the carrier's thread before a fibril held that thread
     * in open(2) of a FIFO: the read must still complete once bytes come, and only then does the
     * neighbour open the FIFO's other end. On io_uring with COOP_TASKRUN the read's completion work
     * is queued to the thread that submitted it, the held one: the kernel wakes it from its
     * interruptible sleep to run that work (no IPI is sent only to a thread that is running), and
     * open(2) goes on waiting after it.
     */
    @Test
    void shouldCompleteAReadSubmittedBeforeTheCarriersThreadWasHeld() throws Exception {
        runtime();
        Path fifo = fifo("before");
        Path file = backend().equals("simulated") ? Path.of("/round-trip") : tempDir.resolve("round-trip");
        try (FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
             FibrilSocketChannel peer = rt.openSocket();
             FibrilFileChannel roundTrip = rt.openFile(file, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            assertEquals(1, roundTrip.write(ByteBuffer.wrap(new byte[] {7}), 0));
            peer.connect(server.localAddress());
            try (FibrilSocketChannel accepted = server.accept()) {
                ByteBuffer got = ByteBuffer.allocate(4);
                Thread neighbour = fibril(() -> {
                    while (got.hasRemaining() && accepted.read(got) >= 0) {
                        // the peer's four bytes
                    }
                    writeFifo(fifo);
                });
                await().atMost(PATIENCE).until(() -> neighbour.getState() == Thread.State.WAITING); // parked in its read
                // a request after the read's, completed: the carrier's thread has entered the ring with the read
                assertFinished(fibril(() -> assertEquals(1, roundTrip.read(ByteBuffer.allocate(1), 0))), "the round trip");
                byte[][] fromFifo = new byte[1][];
                Thread holder = fibril(() -> {
                    try (FileInputStream in = new FileInputStream(fifo.toFile())) { // holds the thread until the neighbour writes
                        fromFifo[0] = in.readAllBytes();
                    }
                });
                unblockOnFailure(fifo, holder, neighbour);
                await().atMost(PATIENCE).until(() -> rt.stats().handoffs() >= 1);
                assertEquals(4, peer.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4})));
                assertFinished(neighbour, "the neighbour whose read was in flight");
                assertFinished(holder, "the FIFO reader");
                assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
                assertArrayEquals(new byte[] {1, 2, 3, 4}, got.array());
                assertArrayEquals(FIFO_DATA, fromFifo[0]);
            }
        }
    }

    @Test
    void shouldFinishAClassInitializerThatSleepsThenWaitsForANeighbour() throws Exception {
        runtime();
        var entered = new java.util.concurrent.CountDownLatch(1);
        boolean[] slept = new boolean[1];
        Thread initializing = fibril(() -> PinnedInitializer.run(() -> {
            entered.countDown();
            // Parks pinned: the carrier's thread waits with the fibril, so only another thread
            // driving the carrier can reap the timer's completion and wake it.
            Fibril.sleep(Duration.ofMillis(1));
            slept[0] = true;
            while (!released) {
                LockSupport.park(); // pinned again, until the neighbour sets the flag and unparks us
            }
        }));
        assertTrue(entered.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the class initializer started");
        Thread neighbour = fibril(() -> {
            released = true;
            LockSupport.unpark(initializing);
        });
        unblock.add(() -> LockSupport.unpark(initializing));
        assertFinished(initializing, "the fibril in the class initializer");
        assertFinished(neighbour, "the neighbour");
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        assertTrue(slept[0], "the initializer's sleep returned");
    }

    @Test
    void shouldNeverHandOffWhenTheThresholdIsZero() throws Exception {
        runtime(Duration.ZERO);
        var spinning = new java.util.concurrent.CountDownLatch(1);
        Thread spinner = fibril(() -> {
            spinning.countDown();
            while (!released) {
                Thread.onSpinWait();
            }
        });
        assertTrue(spinning.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the spinner started");
        boolean[] neighbourRan = new boolean[1];
        Thread neighbour = fibril(() -> {
            Fibril.sleep(Duration.ofMillis(1));
            neighbourRan[0] = true;
        });
        // Hold the carrier far past the default threshold while the neighbour waits for it: with
        // the hand-off off, the neighbour cannot run until the spinner lets go.
        await().during(Duration.ofMillis(200)).atMost(PATIENCE).until(() -> neighbour.isAlive() && spinner.isAlive());
        RuntimeStats held = rt.stats();
        released = true; // set by this platform thread: the spinner lets go by itself
        assertFinished(spinner, "the spinner");
        assertFinished(neighbour, "the neighbour");
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        assertTrue(neighbourRan[0]);
        RuntimeStats after = rt.stats();
        assertEquals(0, held.spareThreads(), () -> "no spare thread while the carrier was held: " + held);
        assertEquals(0, after.handoffs(), () -> "no hand-off with the threshold at zero: " + after);
        assertEquals(0, after.spareThreads(), () -> "no spare thread with the threshold at zero: " + after);
    }

    /** Makes a FIFO in the temporary directory; skips the test where mkfifo is missing. */
    Path fifo(String name) throws InterruptedException {
        Path p = tempDir.resolve(name + ".fifo");
        try {
            Process mk = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
            assumeTrue(mk.waitFor(30, TimeUnit.SECONDS) && mk.exitValue() == 0,
                    () -> "mkfifo failed: " + new String(readAll(mk), StandardCharsets.UTF_8));
        } catch (IOException e) {
            assumeTrue(false, "mkfifo cannot run here: " + e.getMessage());
        }
        return p;
    }

    /**
     * The neighbour's side: open(2) for writing blocks until a reader has the FIFO open (and the
     * reader's open until a writer has), so reader and writer meet in either order; the reader
     * sees end of file when this closes.
     */
    private static void writeFifo(Path fifo) throws IOException {
        try (FileOutputStream out = new FileOutputStream(fifo.toFile())) {
            out.write(FIFO_DATA);
        }
    }

    /**
     * Where the test failed, the reader still holds the carrier in open(2) and the writer never
     * ran: lets both finish, so that the runtime's close is not kept waiting. Opening a FIFO for
     * reading and writing never blocks; it counts as a writer (the reader's open returns, and its
     * read sees end of file at close), then as a reader (the writer's open returns).
     */
    private void unblockOnFailure(Path fifo, Thread reader, Thread writer) {
        unblock.add(() -> {
            try {
                if (reader.isAlive()) {
                    new RandomAccessFile(fifo.toFile(), "rw").close();
                    reader.join(PATIENCE);
                }
                if (writer.isAlive()) {
                    try (RandomAccessFile asReader = new RandomAccessFile(fifo.toFile(), "rw")) {
                        writer.join(PATIENCE);
                    }
                }
            } catch (IOException | InterruptedException e) {
                throw new AssertionError("could not unblock the FIFO's reader and writer", e);
            }
        });
    }

    private static byte[] readAll(Process p) {
        try {
            return p.getInputStream().readAllBytes();
        } catch (IOException e) {
            return e.toString().getBytes(StandardCharsets.UTF_8);
        }
    }
}
