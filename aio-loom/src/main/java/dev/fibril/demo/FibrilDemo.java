/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.demo;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.sim.Latency;
import dev.fibril.syscall.sim.SimulatedKernel;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * {@code ./fibril demo}: starts a runtime on the simulated kernel (50-150 µs per operation) and
 * runs 10,000 fibrils in plain blocking style, half writing and reading back file records, half
 * talking to an echo server, then prints what the runtime counted.
 */
public final class FibrilDemo {
    private static final int FIBRILS = 10_000;

    static final String USAGE = "usage: ./fibril demo   (no options: 10,000 fibrils on the simulated kernel, then the counters)";

    public static void main(String[] args) {
        CommandLine.main("fibril demo", USAGE, args, a -> {
            if (a.length > 0) {
                throw CommandLine.unknown(a[0]);
            }
            run();
        });
    }

    private static void run() throws Exception {
        SimulatedKernel kernel = SimulatedKernel.builder().seed(42).latency(Latency.uniform(50_000, 150_000)).build();
        long start = System.nanoTime();
        try (FibrilRuntime rt = Fibril.runtime().backend(kernel).build()) {
            System.out.printf("Fibril demo: %d fibrils on %d carriers, backend %s%n",
                    FIBRILS, rt.stats().carriers(), rt.backendName());
            FibrilFileChannel file = rt.openFile(Path.of("/demo/records"), READ, WRITE, CREATE);
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 1024);
            Thread acceptor = rt.start(() -> serveEcho(rt, server));
            CountDownLatch done = new CountDownLatch(FIBRILS);
            Semaphore connecting = new Semaphore(512); // the listen backlog is 1024: stay under it
            AtomicLong checked = new AtomicLong();
            for (int i = 0; i < FIBRILS; i++) {
                int id = i;
                rt.start(() -> {
                    try {
                        if (id % 2 == 0) {
                            checked.addAndGet(fileRoundTrip(file, id));
                        } else {
                            connecting.acquire();
                            try {
                                checked.addAndGet(echoRoundTrip(rt, server.localAddress(), id));
                            } finally {
                                connecting.release();
                            }
                        }
                    } catch (Exception e) {
                        System.err.println("fibril " + id + " failed: " + e);
                    } finally {
                        done.countDown();
                    }
                });
            }
            done.await();
            server.close();
            acceptor.join();
            file.close();
            RuntimeStats s = rt.stats();
            System.out.printf("checked %d bytes in %d ms%n", checked.get(), (System.nanoTime() - start) / 1_000_000);
            System.out.printf("requests %d, parks %d, same-carrier resumes %d, cross-thread resumes %d, inline completions %d%n",
                    s.completions(), s.parks(), s.sameCarrierResumes(), s.crossThreadResumes(), s.inlineCompletions());
            System.out.printf("kernel calls %d (%.3f per request), descriptors in use %d, most at once %d%n",
                    s.kernelCalls(), (double) s.kernelCalls() / Math.max(1, s.completions()), s.descriptorsInUse(),
                    s.descriptorHighWater());
            rt.close(Duration.ofSeconds(1));
        }
    }

    private static int fileRoundTrip(FibrilFileChannel file, int id) throws Exception {
        ByteBuffer out = ByteBuffer.allocate(64);
        while (out.hasRemaining()) {
            out.put((byte) (id + out.position()));
        }
        file.write(out.flip(), id * 64L);
        ByteBuffer in = ByteBuffer.allocate(64);
        while (in.hasRemaining() && file.read(in, id * 64L + in.position()) > 0) {
            // short reads continue where they stopped
        }
        if (!in.flip().equals(out.rewind())) {
            throw new IllegalStateException("record " + id + " differs");
        }
        return 64;
    }

    private static int echoRoundTrip(FibrilRuntime rt, InetSocketAddress address, int id) throws Exception {
        try (FibrilSocketChannel s = rt.openSocket()) {
            s.connect(address);
            ByteBuffer out = ByteBuffer.allocate(32).putInt(0, id);
            s.write(out);
            ByteBuffer in = ByteBuffer.allocate(32);
            while (in.hasRemaining() && s.read(in) >= 0) {
                // keep reading until the whole echo arrived
            }
            if (in.getInt(0) != id) {
                throw new IllegalStateException("echo " + id + " differs");
            }
            return 32;
        }
    }

    private static void serveEcho(FibrilRuntime rt, FibrilServerSocketChannel server) {
        while (server.isOpen()) {
            try {
                FibrilSocketChannel s = server.accept();
                rt.start(() -> {
                    try (s) {
                        ByteBuffer buf = ByteBuffer.allocate(256);
                        while (s.read(buf.clear()) >= 0) {
                            s.write(buf.flip());
                        }
                    } catch (Exception e) {
                        // the client went away
                    }
                });
            } catch (Exception closed) {
                return;
            }
        }
    }
}
