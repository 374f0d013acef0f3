/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * A lean closed-loop echo client: a few platform threads, each with a selector and its share of
 * non-blocking loopback connections. Each connection sends one message, waits for all of it to
 * come back, records the round trip, and sends again. Warm-up, then a measured window, then every
 * connection is closed: it always stops by itself.
 */
final class LoadClient {
    /** What one measured window saw. */
    record Window(long messages, double seconds, Histogram latencyNanos) {
    }

    private static final int THREADS = 2;

    /** Called when the measured window opens (to read the server's CPU time). */
    interface IoAction {
        void run() throws IOException;
    }

    private LoadClient() {
    }

    static Window run(InetSocketAddress server, int connections, int messageBytes, double warmupSeconds,
                      double measureSeconds, IoAction atMeasureStart) throws IOException, InterruptedException {
        Worker[] workers = new Worker[THREADS];
        Thread[] threads = new Thread[THREADS];
        try {
            for (int t = 0; t < THREADS; t++) {
                workers[t] = new Worker(messageBytes);
            }
            for (int i = 0; i < connections; i++) {
                workers[i % THREADS].connect(server);
            }
            for (int t = 0; t < THREADS; t++) {
                threads[t] = Thread.ofPlatform().name("load-" + t).start(workers[t]);
            }
            Thread.sleep((long) (warmupSeconds * 1000));
            atMeasureStart.run();
            long start = System.nanoTime();
            for (Worker w : workers) {
                w.measuring = true;
            }
            Thread.sleep((long) (measureSeconds * 1000));
            for (Worker w : workers) {
                w.measuring = false;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            for (Worker w : workers) {
                w.stop = true;
            }
            for (Thread t : threads) {
                t.join(10_000);
            }
            Histogram all = new Histogram(3);
            long messages = 0;
            for (Worker w : workers) {
                all.add(w.latency);
                messages += w.measured;
                if (w.failure != null) {
                    throw new IOException("load client failed: " + w.failure, w.failure);
                }
            }
            return new Window(messages, seconds, all);
        } finally {
            for (Worker w : workers) {
                if (w != null) {
                    w.closeAll();
                }
            }
        }
    }

    private static final class Worker implements Runnable {
        private final Selector selector = Selector.open();
        private final List<SocketChannel> channels = new ArrayList<>();
        private final int size;
        private final Histogram latency = new Histogram(3);
        volatile boolean measuring;
        volatile boolean stop;
        long measured;
        Exception failure;

        Worker(int size) throws IOException {
            this.size = size;
        }

        void connect(InetSocketAddress server) throws IOException {
            SocketChannel ch = SocketChannel.open(server);
            channels.add(ch);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            Conn c = new Conn(size);
            ch.register(selector, SelectionKey.OP_READ, c);
        }

        @Override
        public void run() {
            try {
                for (SelectionKey k : selector.keys()) {
                    send(k);
                }
                while (!stop) {
                    selector.select(20);
                    for (SelectionKey k : selector.selectedKeys()) {
                        Conn c = (Conn) k.attachment();
                        SocketChannel ch = (SocketChannel) k.channel();
                        if (k.isWritable()) {
                            ch.write(c.out);
                            if (!c.out.hasRemaining()) {
                                k.interestOps(SelectionKey.OP_READ);
                            }
                        }
                        if (k.isReadable()) {
                            if (ch.read(c.in) < 0) {
                                throw new IOException("server closed a connection");
                            }
                            if (!c.in.hasRemaining()) {
                                if (measuring) {
                                    latency.recordValue(System.nanoTime() - c.sentAt);
                                    measured++;
                                }
                                send(k);
                            }
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }

        private void send(SelectionKey k) throws IOException {
            Conn c = (Conn) k.attachment();
            c.in.clear();
            c.out.clear();
            c.sentAt = System.nanoTime();
            ((SocketChannel) k.channel()).write(c.out);
            if (c.out.hasRemaining()) {
                k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        }

        void closeAll() {
            for (SocketChannel ch : channels) {
                try {
                    ch.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
            try {
                selector.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private static final class Conn {
        final ByteBuffer out;
        final ByteBuffer in;
        long sentAt;

        Conn(int size) {
            out = ByteBuffer.allocateDirect(size);
            in = ByteBuffer.allocateDirect(size);
            while (out.hasRemaining()) {
                out.put((byte) 'x');
            }
        }
    }
}
