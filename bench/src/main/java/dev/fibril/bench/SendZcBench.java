/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringConfig;
import dev.fibril.syscall.uring.IoUringFeature;
import dev.fibril.syscall.uring.IoUringFeatures;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Loopback write throughput and CPU with SEND_ZC on and off, side by side in one JVM: two runtimes
 * (one carrier each), one connection each, a fibril writing heap buffers of each size and a fibril
 * reading them; rounds interleave the sizes and alternate which mode goes first. Prints, per size,
 * the median over rounds of the throughput ratio on/off and of the CPU-per-byte ratio on/off
 * (process CPU time), with each mode's median MB/s. Each round measures on, off, off, on (or the
 * reverse) per size and takes each mode's geometric mean. Heap buffers go through 64 KiB bounce buffers,
 * so a 256 KiB write is four sends of 64 KiB; "on" sends every send of at least 4 KiB as SEND_ZC.
 *
 * <pre>
 *   ./fibril mvn -q -o -pl bench -am package -DskipTests
 *   java --add-opens java.base/java.lang=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
 *        -cp bench/target/benchmarks.jar dev.fibril.bench.SendZcBench [rounds] [MiB per measurement]
 * </pre>
 */
public final class SendZcBench {
    private static final int[] SIZES = {4 << 10, 16 << 10, 64 << 10, 256 << 10};
    private static final Duration BOUND = Duration.ofMinutes(2);

    private SendZcBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        long bytes = (args.length > 1 ? Long.parseLong(args[1]) : 128) << 20;
        try (Pair on = new Pair(true); Pair off = new Pair(false)) {
            for (int size : SIZES) { // warm-up: one measurement of each, not counted
                on.measure(size, bytes / 4);
                off.measure(size, bytes / 4);
            }
            double[][] throughput = new double[SIZES.length][rounds];
            double[][] cpu = new double[SIZES.length][rounds];
            double[][] onMbps = new double[SIZES.length][rounds];
            double[][] offMbps = new double[SIZES.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int s = 0; s < SIZES.length; s++) {
                    // ABBA, alternating which mode opens the round: a drift of the machine cancels
                    boolean onFirst = r % 2 == 0;
                    double[] a1 = (onFirst ? on : off).measure(SIZES[s], bytes);
                    double[] b1 = (onFirst ? off : on).measure(SIZES[s], bytes);
                    double[] b2 = (onFirst ? off : on).measure(SIZES[s], bytes);
                    double[] a2 = (onFirst ? on : off).measure(SIZES[s], bytes);
                    double[] a = onFirst ? geomean(a1, a2) : geomean(b1, b2);
                    double[] b = onFirst ? geomean(b1, b2) : geomean(a1, a2);
                    onMbps[s][r] = a[0];
                    offMbps[s][r] = b[0];
                    throughput[s][r] = a[0] / b[0];
                    cpu[s][r] = a[1] / b[1];
                }
                StringBuilder line = new StringBuilder("round " + (r + 1) + " of " + rounds + ", throughput on/off by size:");
                for (int s = 0; s < SIZES.length; s++) {
                    line.append(String.format(Locale.ROOT, " %.2f", throughput[s][r]));
                }
                System.out.println(line);
            }
            System.out.printf(Locale.ROOT, "%nSEND_ZC on/off, loopback, heap buffers, %d rounds of %d MiB per size and mode "
                    + "(send_zc active: on %b, off %b)%n", rounds, bytes >> 20, on.zeroCopyActive(), off.zeroCopyActive());
            System.out.printf(Locale.ROOT, "%-8s %14s %14s %18s %18s%n", "write", "MB/s on", "MB/s off",
                    "throughput on/off", "CPU/byte on/off");
            for (int s = 0; s < SIZES.length; s++) {
                System.out.printf(Locale.ROOT, "%-8s %14.0f %14.0f %18.3f %18.3f%n", (SIZES[s] >> 10) + " KiB",
                        median(onMbps[s]), median(offMbps[s]), median(throughput[s]), median(cpu[s]));
            }
        }
    }

    private static double[] geomean(double[] x, double[] y) {
        return new double[]{Math.sqrt(x[0] * y[0]), Math.sqrt(x[1] * y[1])};
    }

    private static double median(double[] v) {
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** A runtime with SEND_ZC on (threshold 4 KiB) or off, and one loopback connection in it. */
    private static final class Pair implements AutoCloseable {
        private final FibrilRuntime rt;
        private final FibrilServerSocketChannel server;
        private final FibrilSocketChannel client;
        private final FibrilSocketChannel peer;

        Pair(boolean zeroCopy) throws Exception {
            IoUringFeatures features = IoUringFeatures.resolve(IoUringBackend.probe(), Map.of(
                    IoUringFeature.SEND_ZC.propertyName(), String.valueOf(zeroCopy),
                    IoUringFeatures.SEND_ZC_THRESHOLD_PROPERTY, "4096")::get);
            IoUringBackend backend = new IoUringBackend(IoUringConfig.DEFAULT, features);
            rt = Fibril.runtime().carriers(1).backend(backend).build();
            server = rt.openServerSocket().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
            client = rt.openSocket();
            client.connect(server.localAddress());
            peer = server.accept();
        }

        boolean zeroCopyActive() {
            return rt.backendFeatures().isActive("send_zc");
        }

        /** Sends {@code bytes} in writes of {@code size}; returns {MB/s, process CPU ns per byte}. */
        double[] measure(int size, long bytes) throws Exception {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            Thread reader = rt.start(() -> {
                try {
                    ByteBuffer in = ByteBuffer.allocateDirect(256 << 10);
                    long left = bytes;
                    while (left > 0) {
                        int n = peer.read(in.clear());
                        if (n < 0) {
                            throw new IllegalStateException("end of stream with " + left + " bytes to come");
                        }
                        left -= n;
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            Thread writer = rt.start(() -> {
                try {
                    ByteBuffer out = ByteBuffer.allocate(size);
                    for (long sent = 0; sent < bytes; sent += size) {
                        client.write(out.clear());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            if (!writer.join(BOUND) || !reader.join(BOUND)) {
                throw new IllegalStateException("a measurement did not end within " + BOUND);
            }
            long nanos = System.nanoTime() - t0;
            long cpu = processCpuNanos() - cpu0;
            if (failure.get() != null) {
                throw new IllegalStateException("the transfer failed", failure.get());
            }
            return new double[]{bytes / (nanos / 1e3), (double) cpu / bytes};
        }

        private static long processCpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        }

        @Override
        public void close() throws Exception {
            peer.close();
            client.close();
            server.close();
            rt.close();
        }
    }
}
