/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * 4 KiB reads at random page-aligned offsets of a file that is in the page cache, by
 * {@code readers} concurrent readers. An invocation is {@link #READS} reads dealt round-robin to the
 * readers: fibrils on io_uring, JDK virtual threads calling {@link FileChannel}, or a pool of
 * {@code readers} platform threads calling {@link FileChannel}. Reader start-up is in the
 * measurement for all three alike.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.OPENS, BenchJvm.NATIVE, BenchJvm.EXPORTS, BenchJvm.XMS, BenchJvm.XMX, BenchJvm.PRETOUCH})
public class FileReadBench {
    static final int READS = 8_192;
    static final int PAGE = 4096;
    static final int FILE_PAGES = 4096; // 16 MiB

    @Param({"1", "64", "1000"})
    public int readers;

    private Path file;
    private long[] offsets;
    private ByteBuffer[] buffers;
    private Thread[] threads;
    private FibrilRuntime runtime;
    private FibrilFileChannel fibrilFile;
    private FileChannel jdkFile;
    private ExecutorService platformPool;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        file = Files.createTempFile("fibril-bench", ".dat");
        byte[] page = new byte[PAGE];
        SplittableRandom random = new SplittableRandom(42);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (int i = 0; i < FILE_PAGES; i++) {
                random.nextBytes(page);
                out.write(ByteBuffer.wrap(page));
            }
        }
        Files.readAllBytes(file); // into the page cache
        offsets = new long[READS];
        for (int i = 0; i < READS; i++) {
            offsets[i] = (long) random.nextInt(FILE_PAGES) * PAGE;
        }
        buffers = new ByteBuffer[readers];
        for (int i = 0; i < readers; i++) {
            buffers[i] = ByteBuffer.allocateDirect(PAGE);
        }
        threads = new Thread[readers];
        runtime = Fibril.runtime().build();
        fibrilFile = runtime.openFile(file, StandardOpenOption.READ);
        jdkFile = FileChannel.open(file, StandardOpenOption.READ);
        platformPool = Executors.newFixedThreadPool(readers);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException, InterruptedException {
        platformPool.shutdown();
        platformPool.awaitTermination(5, TimeUnit.SECONDS);
        fibrilFile.close();
        runtime.close();
        jdkFile.close();
        Files.deleteIfExists(file);
    }

    @Benchmark
    @OperationsPerInvocation(READS)
    public void fibrilIoUring() throws InterruptedException {
        for (int r = 0; r < readers; r++) {
            int reader = r;
            threads[r] = runtime.start(() -> readShare(reader, true));
        }
        joinAll();
    }

    @Benchmark
    @OperationsPerInvocation(READS)
    public void fileChannelVirtualThreads() throws InterruptedException {
        for (int r = 0; r < readers; r++) {
            int reader = r;
            threads[r] = Thread.ofVirtual().start(() -> readShare(reader, false));
        }
        joinAll();
    }

    @Benchmark
    @OperationsPerInvocation(READS)
    public void fileChannelPlatformPool() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(readers);
        for (int r = 0; r < readers; r++) {
            int reader = r;
            platformPool.execute(() -> {
                try {
                    readShare(reader, false);
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
    }

    /** Reader {@code reader} does reads reader, reader + readers, ... of the invocation. */
    void readShare(int reader, boolean fibril) {
        ByteBuffer buf = buffers[reader];
        try {
            for (int i = reader; i < READS; i += readers) {
                buf.clear();
                int n = fibril ? fibrilFile.read(buf, offsets[i]) : jdkFile.read(buf, offsets[i]);
                if (n != PAGE) {
                    throw new IOException("short read: " + n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void joinAll() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }
}
