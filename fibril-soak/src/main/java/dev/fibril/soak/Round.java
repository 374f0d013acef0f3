/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.spi.Backend;
import dev.fibril.syscall.sim.Fault;
import dev.fibril.syscall.sim.SimulatedKernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * One round of the soak: a new runtime on one backend, socket, file and (on a real kernel) HTTP
 * work under chaos for a while, then an end — graceful (work stopped and joined, then the runtime
 * closed) or hard (the runtime closed under the running work) — and the invariants checked:
 * every worker ended, nothing in use at the graceful end, no descriptor left in the backend, no fd
 * left in the process.
 */
final class Round {
    private static final int ECHO_CLIENTS = 12;
    private static final int FILE_WORKERS = 6;
    private static final int HTTP_CLIENTS = 3;
    private static final Duration JOIN = Duration.ofSeconds(30);

    /** What the round did and found. */
    record Result(int number, String backend, boolean hard, Tally tally, int fdsBefore, int fdsAfter,
                  long rssKiB, long submissions, long completions, long retries) {
    }

    private Round() {
    }

    static Result run(int number, String backend, boolean hard, long seed, long nanos) throws Exception {
        Tally tally = new Tally();
        int fdsBefore = ProcessProbe.openFds();
        boolean simulated = backend.equals("simulated");
        FibrilRuntime.Builder builder = Fibril.runtime().carriers(2).receiveBuffers(64, 16 * 1024);
        if (simulated) {
            // Faults that a caller sees as clean errors or that the runtime absorbs; the seed fixes them.
            Backend kernel = SimulatedKernel.builder().seed(seed)
                    .fault(Fault.EINTR, 0.02).fault(Fault.EAGAIN, 0.02)
                    .fault(Fault.SHORT_READ, 0.05).fault(Fault.SHORT_WRITE, 0.05)
                    .fault(Fault.ECONNRESET, 0.002).fault(Fault.EIO, 0.002)
                    .fault(Fault.DELAY, 0.05).fault(Fault.REORDER, 0.05).build();
            builder.backend(kernel);
        } else {
            builder.backend(backend);
        }
        FibrilRuntime rt = builder.build();
        Path dir = simulated ? Path.of("/soak") : Files.createTempDirectory("fibril-soak-");
        AtomicBoolean stop = new AtomicBoolean();
        SplittableRandom random = new SplittableRandom(seed);
        Victims victims = new Victims();
        EchoWork echo = new EchoWork(rt, tally, stop);
        FileWork files = new FileWork(rt, tally, stop);
        HttpWork http = simulated ? null : new HttpWork(tally, stop);
        Thread chaos = null;
        RuntimeStats end = null;
        boolean closed = false;
        try {
            echo.start(ECHO_CLIENTS, random.nextLong(), victims);
            files.start(dir, FILE_WORKERS, random.nextLong(), victims);
            if (http != null) {
                http.start(rt, HTTP_CLIENTS, random.nextLong());
            }
            chaos = victims.startChaos(stop, random.split(), tally);
            long deadline = System.nanoTime() + nanos;
            for (long left; (left = deadline - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(left);
            }
            stop.set(true);
            join(chaos, tally);
            if (hard) {
                rt.close(); // under the running work: every call in flight must end, none may hang
                closed = true;
            }
            if (http != null) {
                for (Thread t : http.clients()) {
                    join(t, tally);
                }
                http.stopServer();
            }
            for (Thread t : echo.clients()) {
                join(t, tally);
            }
            echo.closeServer();
            for (Thread t : echo.serverSide()) {
                join(t, tally);
            }
            for (Thread t : files.fibrils()) {
                join(t, tally);
            }
            if (!closed) {
                end = quiesced(rt, tally);
            }
        } finally {
            stop.set(true);
            if (!closed) {
                rt.close();
            }
            if (!simulated) {
                deleteTree(dir);
            }
        }
        int left = rt.backend().openDescriptors();
        if (left != 0) {
            tally.fail(left + " descriptor(s) still open in the " + backend + " backend after the runtime closed");
        }
        System.gc();
        int fdsAfter = ProcessProbe.openFds();
        return new Result(number, backend, hard, tally, fdsBefore, fdsAfter, ProcessProbe.rssKiB(),
                end == null ? -1 : end.submissions(), end == null ? -1 : end.completions(), end == null ? -1 : end.retries());
    }

    private static void join(Thread t, Tally tally) throws InterruptedException {
        if (!t.join(JOIN)) {
            tally.fail("thread " + t + " did not end within " + JOIN.toSeconds() + " s of the round's end: "
                    + stack(t));
        }
    }

    private static String stack(Thread t) {
        StringBuilder s = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            s.append("\n        at ").append(e);
        }
        return s.toString();
    }

    /** Waits (bounded) for the runtime to have nothing in use once its work ended; the stats then. */
    private static RuntimeStats quiesced(FibrilRuntime rt, Tally tally) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        RuntimeStats s = rt.stats();
        while ((s.descriptorsInUse() != 0 || s.receiveBuffersLent() != 0) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            s = rt.stats();
        }
        if (s.descriptorsInUse() != 0) {
            tally.fail(s.descriptorsInUse() + " request descriptor(s) still in use after every worker ended");
        }
        if (s.receiveBuffersLent() != 0) {
            tally.fail(s.receiveBuffersLent() + " receive buffer(s) still lent after every worker ended");
        }
        return s;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            List<Path> paths = new ArrayList<>(all.toList());
            paths.sort(Comparator.reverseOrder());
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        }
    }
}
