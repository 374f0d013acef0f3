/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The Java HTTP load generator, for machines without wrk: {@link HttpGenerator#THREADS} platform
 * threads, each with a selector and its share of non-blocking keep-alive connections. Each connection
 * sends a request, reads the whole response (Content-Length or chunked), records the latency, and
 * sends the next: a closed loop, like wrk. A connection the server closes counts as a socket error
 * and is opened again, so the connection count holds.
 */
final class HttpLoadClient implements HttpGenerator {

    @Override
    public String describe() {
        return "Java NIO client, " + THREADS + " threads";
    }

    @Override
    public HttpRun run(URI base, HttpWorkload workload, int connections, int seconds, Path raw)
            throws IOException, InterruptedException {
        HttpRun r = run(base, workload, connections, seconds * 1000L);
        if (raw != null) {
            try (PrintStream ps = new PrintStream(Files.newOutputStream(raw), true, StandardCharsets.UTF_8)) {
                ps.printf("Java client: %s %s, %d connections, %d threads, %d s%n", workload.method(),
                        base.resolve(workload.path()), connections, THREADS, seconds);
                ps.printf("%d requests in %.2fs, p50 %.1f us, p99 %.1f us, non-2xx %d, socket errors %d %s%n",
                        r.requests(), r.seconds(), r.p50Micros(), r.p99Micros(), r.non2xx(), r.socketErrors(), r.errorDetail());
            }
        }
        return r;
    }

    /** One closed-loop run of {@code millis}; every connection is closed when it returns. */
    HttpRun run(URI base, HttpWorkload workload, int connections, long millis) throws IOException, InterruptedException {
        InetSocketAddress server = new InetSocketAddress(base.getHost(), base.getPort());
        byte[] request = request(base, workload);
        Worker[] workers = new Worker[THREADS];
        Thread[] threads = new Thread[THREADS];
        try {
            for (int t = 0; t < THREADS; t++) {
                workers[t] = new Worker(server, request);
            }
            for (int i = 0; i < connections; i++) {
                workers[i % THREADS].connect();
            }
            long start = System.nanoTime();
            for (int t = 0; t < THREADS; t++) {
                threads[t] = Thread.ofPlatform().name("http-load-" + t).start(workers[t]);
            }
            Thread.sleep(millis);
            for (Worker w : workers) {
                w.stop = true;
            }
            for (Thread t : threads) {
                t.join(10_000);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            Histogram all = new Histogram(3);
            long requests = 0;
            long non2xx = 0;
            long errors = 0;
            StringBuilder detail = new StringBuilder();
            for (Worker w : workers) {
                if (w.failure != null) {
                    throw new IOException("HTTP load client failed: " + w.failure, w.failure);
                }
                all.add(w.latency);
                requests += w.completed;
                non2xx += w.non2xx;
                errors += w.socketErrors;
                if (w.lastError != null) {
                    detail.append(detail.isEmpty() ? "" : "; ").append(w.lastError);
                }
            }
            return new HttpRun(requests, secs, all.getValueAtPercentile(50) / 1000.0, all.getValueAtPercentile(99) / 1000.0,
                    non2xx, errors, detail.toString());
        } finally {
            for (Worker w : workers) {
                if (w != null) {
                    w.closeAll();
                }
            }
        }
    }

    static byte[] request(URI base, HttpWorkload workload) {
        String head = workload.method() + " " + base.resolve(workload.path()).getRawPath() + " HTTP/1.1\r\n"
                + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                + (workload.bodyBytes() > 0
                        ? "Content-Type: application/octet-stream\r\nContent-Length: " + workload.bodyBytes() + "\r\n" : "")
                + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] body = workload.body();
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    private static final class Worker implements Runnable {
        private final Selector selector = Selector.open();
        private final InetSocketAddress server;
        private final byte[] request;
        private final Histogram latency = new Histogram(3);
        volatile boolean stop;
        long completed;
        long non2xx;
        long socketErrors;
        String lastError;
        Exception failure;

        Worker(InetSocketAddress server, byte[] request) throws IOException {
            this.server = server;
            this.request = request;
        }

        SelectionKey connect() throws IOException {
            SocketChannel ch = SocketChannel.open(server);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            return ch.register(selector, SelectionKey.OP_READ, new Conn(request));
        }

        @Override
        public void run() {
            try {
                for (SelectionKey k : List.copyOf(selector.keys())) {
                    send(k);
                }
                while (!stop) {
                    selector.select(20);
                    for (SelectionKey k : selector.selectedKeys()) {
                        try {
                            step(k);
                        } catch (IOException e) {
                            // the server reset or closed this connection: count it, and keep the count of connections
                            socketErrors++;
                            lastError = e.getMessage();
                            k.cancel();
                            k.channel().close();
                            if (!stop) {
                                send(connect());
                            }
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }

        private void step(SelectionKey k) throws IOException {
            Conn c = (Conn) k.attachment();
            SocketChannel ch = (SocketChannel) k.channel();
            if (k.isValid() && k.isWritable()) {
                ch.write(c.out);
                if (!c.out.hasRemaining()) {
                    k.interestOps(SelectionKey.OP_READ);
                }
            }
            if (k.isValid() && k.isReadable()) {
                if (!c.in.hasRemaining()) {
                    throw new IOException("response larger than " + c.in.capacity() + " bytes");
                }
                if (ch.read(c.in) < 0) {
                    throw new IOException("server closed a connection");
                }
                int length = HttpResponseParser.completeLength(c.in.array(), c.in.position());
                if (length == HttpResponseParser.MALFORMED) {
                    throw new IOException("malformed response: "
                            + new String(c.in.array(), 0, Math.min(c.in.position(), 200), StandardCharsets.ISO_8859_1));
                }
                if (length > 0) {
                    latency.recordValue(System.nanoTime() - c.sentAt);
                    completed++;
                    int status = HttpResponseParser.status(c.in.array());
                    if (status < 200 || status > 299) {
                        non2xx++;
                    }
                    if (length != c.in.position()) {
                        throw new IOException("server sent " + (c.in.position() - length) + " bytes nobody asked for");
                    }
                    if (HttpResponseParser.closes(c.in.array(), length)) {
                        throw new IOException("server closed a keep-alive connection (Connection: close)");
                    }
                    send(k);
                }
            }
        }

        private void send(SelectionKey k) throws IOException {
            Conn c = (Conn) k.attachment();
            c.in.clear();
            c.out.clear();
            c.sentAt = System.nanoTime();
            ((SocketChannel) k.channel()).write(c.out);
            k.interestOps(c.out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        void closeAll() {
            for (SelectionKey k : selector.keys()) {
                try {
                    k.channel().close();
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
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        long sentAt;

        Conn(byte[] request) {
            out = ByteBuffer.wrap(request);
        }
    }
}
