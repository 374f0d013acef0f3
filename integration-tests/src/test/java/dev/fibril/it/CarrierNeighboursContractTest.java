package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one fibril does on a carrier must not stop or break the other fibrils of that carrier: a
 * fibril that is always runnable must not starve timers and socket wake-ups, and an interrupted
 * fibril's call must not break another fibril's file. Every runtime here has one carrier, so all
 * fibrils share it. Subclassed once per backend.
 */
abstract class CarrierNeighboursContractTest {
    @TempDir
    Path tempDir;
    FibrilRuntime rt;

    /** The backend's name for the builder. */
    abstract String backend();

    /** Where this backend's files live: the temporary directory, or the simulated kernel's namespace. */
    Path file(String name) {
        return tempDir.resolve(name);
    }

    @BeforeEach
    void start() {
        rt = Fibril.runtime().carriers(1).backend(backend()).strict(true).build();
    }

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    interface Body {
        void run() throws Exception;
    }

    /** Starts {@code body} in a fibril; what it throws lands in {@code failure}. */
    Thread fibril(AtomicReference<Throwable> failure, Body body) {
        return rt.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
    }

    @Test
    void shouldDeliverTimersAndSocketWakeUpsWhileAFibrilSpinsOnNopsAndFileReads() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        FibrilFileChannel f = rt.openFile(file("spin"), READ, WRITE, CREATE);
        f.write(ByteBuffer.wrap(new byte[4096]), 0);
        FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
        FibrilSocketChannel client = rt.openSocket();
        AtomicReference<FibrilSocketChannel> accepted = new AtomicReference<>();
        Thread acceptor = fibril(failure, () -> accepted.set(server.accept()));
        client.connect(server.localAddress());
        assertTrue(acceptor.join(Duration.ofSeconds(30)), "accept returned");
        FibrilSocketChannel peer = accepted.get();

        // The spinners stop only when told to, after the others have returned: until then the
        // carrier always has a runnable fibril, and never a reason to wait in the kernel.
        AtomicLong nops = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong stopSpinning = new AtomicLong();
        Thread nopSpinner = fibril(failure, () -> {
            while (stopSpinning.get() == 0) {
                Fibril.nop();
                nops.incrementAndGet();
            }
        });
        Thread readSpinner = fibril(failure, () -> {
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            while (stopSpinning.get() == 0) {
                f.read(b.clear(), 0);
                reads.incrementAndGet();
            }
        });
        try {
            whileSpinning(failure, client, peer, nopSpinner, readSpinner, nops, reads);
        } finally {
            stopSpinning.set(1);
        }
        assertTrue(nopSpinner.join(Duration.ofSeconds(30)) && readSpinner.join(Duration.ofSeconds(30)));
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        client.close();
        peer.close();
        server.close();
        f.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    private void whileSpinning(AtomicReference<Throwable> failure, FibrilSocketChannel client, FibrilSocketChannel peer,
                               Thread nopSpinner, Thread readSpinner, AtomicLong nops, AtomicLong reads) throws Exception {
        await().atMost(30, TimeUnit.SECONDS).until(() -> nops.get() > 1000 && reads.get() > 1000);

        Thread sleeper = fibril(failure, () -> Fibril.sleep(Duration.ofMillis(100)));
        ByteBuffer got = ByteBuffer.allocate(5);
        Thread reader = fibril(failure, () -> {
            while (got.hasRemaining()) {
                if (client.read(got) < 0) {
                    throw new AssertionError("end of stream");
                }
            }
        });
        // The reader must be parked on its socket before the peer writes, so that only the
        // backend's readiness (not a read that finds the data) can wake it.
        await().atMost(30, TimeUnit.SECONDS).until(() -> reader.getState() == Thread.State.WAITING);
        Thread writer = new Thread(() -> {
            try {
                peer.write(ByteBuffer.wrap("hello".getBytes()));
            } catch (Exception e) {
                failure.compareAndSet(null, e);
            }
        });
        writer.start();

        await().atMost(10, TimeUnit.SECONDS).until(() -> !sleeper.isAlive() && !reader.isAlive());
        assertTrue(nopSpinner.isAlive() && readSpinner.isAlive(), "the spinners were still spinning");
        writer.join();
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        assertArrayEquals("hello".getBytes(), got.array());
    }
}
