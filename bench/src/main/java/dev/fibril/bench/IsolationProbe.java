/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * One run of the isolation family, in its own JVM: {@code IsolationProbe RUNTIME HOLD BACKEND HOLD_MS [FIFO]}.
 * On one scheduler (a one-carrier Fibril runtime with the hand-off on or off, or the JDK's default
 * virtual-thread scheduler) a timer fibril sleeps 1 ms in a loop and an echo client does round
 * trips with an echo server over loopback; then one more fibril holds its thread for HOLD_MS (a
 * CPU loop, or a java.io read of a FIFO that a platform thread feeds after HOLD_MS). Every timer
 * gap and round trip that overlaps the hold is recorded (the last ones end within {@link #TAIL_MILLIS}
 * after it). A timer gap is recorded with HdrHistogram's correction for coordinated omission at the
 * 1 ms the timer asks for: a gap of 1 s also counts the 999 ticks it swallowed (999 ms, 998 ms, ...
 * late), so the percentiles say how late a 1 ms tick was, not only how many ticks came. Prints {@code HIST timer|echo <base64 HdrHistogram, ns>}, {@code HELD <ms>} and
 * {@code STATS <handoffs> <spare threads at the end of the hold>}.
 *
 * <p>RUNTIME is {@code fibril-on}, {@code fibril-off} or {@code jdk-virtual}; HOLD is {@code cpu} or {@code read}.
 */
public final class IsolationProbe {
    static final long WARMUP_MILLIS = 500;
    /** The run goes on this long after the hold ends, so the gap and round trip that span its end are counted. */
    static final long TAIL_MILLIS = 200;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int MESSAGE = 32;

    private final Scheduler scheduler;
    private final Histogram timer = new Histogram(3);
    private final Histogram echo = new Histogram(3);
    /** The hold's start and end (System.nanoTime), MAX_VALUE until known: a sample is kept if it overlaps the hold. */
    private volatile long holdStart = Long.MAX_VALUE;
    private volatile long holdEnd = Long.MAX_VALUE;
    private volatile boolean stop;
    private volatile long sink;

    private IsolationProbe(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** Where the fibrils run, and the sleep and sockets they use there. */
    private interface Scheduler extends AutoCloseable {
        Thread start(Runnable task);

        void sleep1ms() throws Exception;

        /** Starts an echo server and returns a started client loop that reports each round trip to {@link #onRoundTrip}. */
        Thread echoLoop(IsolationProbe probe) throws Exception;

        /** Hand-offs so far and spare threads now, or -1 where the scheduler has none. */
        long[] stats();

        @Override
        void close() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            throw new IllegalArgumentException("usage: IsolationProbe fibril-on|fibril-off|jdk-virtual cpu|read BACKEND HOLD_MS [FIFO]");
        }
        String hold = args[1];
        Path fifo = hold.equals("read") ? Path.of(args[4]) : null;
        measure(args[0], hold, args[2], Long.parseLong(args[3]), fifo).forEach(System.out::println);
        System.out.flush();
        // A fibril stuck past the run (it should not be) must not keep this JVM alive.
        System.exit(0);
    }

    /** One run on a new scheduler; returns the lines {@link #main} prints. */
    static List<String> measure(String runtime, String hold, String backend, long holdMillis, Path fifo) throws Exception {
        try (Scheduler s = switch (runtime) {
            case "fibril-on" -> new OnFibril(backend, null);
            case "fibril-off" -> new OnFibril(backend, Duration.ZERO);
            case "jdk-virtual" -> new OnJdk();
            default -> throw new IllegalArgumentException("unknown runtime " + runtime);
        }) {
            return new IsolationProbe(s).run(hold, holdMillis, fifo);
        }
    }

    private List<String> run(String hold, long holdMillis, Path fifo) throws Exception {
        Thread timerLoop = scheduler.start(this::timerLoop);
        Thread echoLoop = scheduler.echoLoop(this);
        Thread.sleep(WARMUP_MILLIS); // not measured: JIT and connections warm up
        Thread holder;
        Thread feeder = null;
        if (hold.equals("cpu")) {
            holder = scheduler.start(() -> spin(holdMillis));
        } else {
            holder = scheduler.start(() -> readOneByte(fifo));
            feeder = Thread.ofPlatform().name("isolation-feeder").start(() -> feedAfter(fifo, holdMillis));
        }
        if (!holder.join(Duration.ofSeconds(30))) {
            throw new IllegalStateException("the holding fibril did not finish within 30 s");
        }
        if (holdEnd == Long.MAX_VALUE) {
            throw new IllegalStateException("the holding fibril failed (its exception is above)");
        }
        long[] stats = scheduler.stats();
        Thread.sleep(TAIL_MILLIS);
        stop = true;
        if (feeder != null) {
            feeder.join();
        }
        if (!timerLoop.join(Duration.ofSeconds(10)) || !echoLoop.join(Duration.ofSeconds(10))) {
            throw new IllegalStateException("the timer or echo loop did not stop");
        }
        return List.of("HIST timer " + encode(timer), "HIST echo " + encode(echo),
                "HELD " + TimeUnit.NANOSECONDS.toMillis(holdEnd - holdStart), "STATS " + stats[0] + " " + stats[1]);
    }

    private void timerLoop() {
        try {
            while (!stop) {
                long t0 = System.nanoTime();
                scheduler.sleep1ms();
                long t1 = System.nanoTime();
                if (overlapsHold(t0, t1)) {
                    timer.recordValueWithExpectedInterval(t1 - t0, TICK_NANOS);
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("timer loop", e);
        }
    }

    void onRoundTrip(long t0, long t1) {
        if (overlapsHold(t0, t1)) {
            echo.recordValue(t1 - t0);
        }
    }

    private boolean overlapsHold(long t0, long t1) {
        return t1 >= holdStart && t0 < holdEnd;
    }

    boolean stopped() {
        return stop;
    }

    /** The CPU hold: arithmetic for {@code millis}, never parking. The holder marks the hold's ends itself. */
    private void spin(long millis) {
        long start = System.nanoTime();
        holdStart = start;
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(millis);
        long x = 0;
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < 1000; i++) {
                x = x * 31 + i;
            }
        }
        sink = x;
        holdEnd = System.nanoTime();
    }

    /** The java.io hold: open(2) and read(2) of a FIFO block the thread until the feeder writes. */
    private void readOneByte(Path fifo) {
        holdStart = System.nanoTime();
        try (FileInputStream in = new FileInputStream(fifo.toFile())) {
            in.read();
        } catch (IOException e) {
            throw new IllegalStateException("reading the FIFO", e);
        }
        holdEnd = System.nanoTime();
    }

    private static void feedAfter(Path fifo, long millis) {
        try (FileOutputStream out = new FileOutputStream(fifo.toFile())) { // returns once the holder has it open
            Thread.sleep(millis);
            out.write('!');
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("feeding the FIFO", e);
        }
    }

    private static String encode(Histogram h) {
        ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(b);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(b.array(), n));
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalArgumentException("not an encoded histogram", e);
        }
    }

    /** A one-carrier Fibril runtime: every fibril of the probe shares the held carrier. */
    private static final class OnFibril implements Scheduler {
        private final FibrilRuntime rt;

        OnFibril(String backend, Duration threshold) {
            FibrilRuntime.Builder b = Fibril.runtime().carriers(1).backend(backend).strict(true);
            this.rt = (threshold == null ? b : b.handoffThreshold(threshold)).build();
        }

        @Override
        public Thread start(Runnable task) {
            return rt.start(task);
        }

        @Override
        public void sleep1ms() throws Exception {
            Fibril.sleep(Duration.ofMillis(1));
        }

        @Override
        public Thread echoLoop(IsolationProbe probe) throws Exception {
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 8);
            rt.start(() -> {
                try (server; FibrilSocketChannel s = server.accept()) {
                    ByteBuffer b = ByteBuffer.allocateDirect(MESSAGE);
                    while (s.read(b.clear()) >= 0) {
                        b.flip();
                        while (b.hasRemaining()) {
                            s.write(b);
                        }
                    }
                } catch (IOException e) {
                    // the client closed: done
                }
            });
            InetSocketAddress address = server.localAddress();
            return rt.start(() -> {
                try (FibrilSocketChannel c = rt.openSocket()) {
                    c.connect(address);
                    ByteBuffer out = ByteBuffer.allocateDirect(MESSAGE);
                    ByteBuffer in = ByteBuffer.allocateDirect(MESSAGE);
                    while (!probe.stopped()) {
                        long t0 = System.nanoTime();
                        out.clear();
                        while (out.hasRemaining()) {
                            c.write(out);
                        }
                        in.clear();
                        while (in.hasRemaining()) {
                            if (c.read(in) < 0) {
                                throw new IOException("echo server closed");
                            }
                        }
                        probe.onRoundTrip(t0, System.nanoTime());
                    }
                } catch (IOException e) {
                    throw new IllegalStateException("echo client", e);
                }
            });
        }

        @Override
        public long[] stats() {
            RuntimeStats s = rt.stats();
            return new long[] {s.handoffs(), s.spareThreads()};
        }

        @Override
        public void close() {
            rt.close();
        }
    }

    /** JDK virtual threads on the default scheduler, java.net sockets, Thread.sleep. */
    private static final class OnJdk implements Scheduler {
        private ServerSocket server;

        @Override
        public Thread start(Runnable task) {
            return Thread.ofVirtual().start(task);
        }

        @Override
        public void sleep1ms() throws Exception {
            Thread.sleep(1);
        }

        @Override
        public Thread echoLoop(IsolationProbe probe) throws Exception {
            server = new ServerSocket();
            server.bind(new InetSocketAddress("127.0.0.1", 0), 8);
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    s.setTcpNoDelay(true);
                    byte[] b = new byte[MESSAGE];
                    int n;
                    while ((n = in.read(b)) >= 0) {
                        out.write(b, 0, n);
                    }
                } catch (IOException e) {
                    // the client closed: done
                }
            });
            int port = server.getLocalPort();
            return Thread.ofVirtual().start(() -> {
                try (Socket c = new Socket("127.0.0.1", port); InputStream in = c.getInputStream(); OutputStream out = c.getOutputStream()) {
                    c.setTcpNoDelay(true);
                    byte[] b = new byte[MESSAGE];
                    while (!probe.stopped()) {
                        long t0 = System.nanoTime();
                        out.write(b);
                        int got = 0;
                        while (got < MESSAGE) {
                            int n = in.read(b, got, MESSAGE - got);
                            if (n < 0) {
                                throw new IOException("echo server closed");
                            }
                            got += n;
                        }
                        probe.onRoundTrip(t0, System.nanoTime());
                    }
                } catch (IOException e) {
                    throw new IllegalStateException("echo client", e);
                }
            });
        }

        @Override
        public long[] stats() {
            return new long[] {-1, -1};
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
