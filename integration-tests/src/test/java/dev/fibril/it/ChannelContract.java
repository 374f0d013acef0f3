/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every backend must do for files and sockets, driven through the public API from fibrils:
 * the shared setup (a runtime on the backend, a listening socket) and helpers. Each concern is a
 * class of its own, run on every {@link ChannelBackend}; a backend skips only where it cannot run
 * on this machine.
 */
abstract class ChannelContract {
    static final int MIB = 1 << 20;

    @TempDir
    Path tempDir;
    final ChannelBackend backend;
    FibrilRuntime rt;
    FibrilServerSocketChannel server;
    InetSocketAddress address;

    ChannelContract(ChannelBackend backend) {
        this.backend = backend;
    }

    /** The backend's name for the builder. */
    String backend() {
        return backend.backendName();
    }

    int bufferSizeReadBack(int set) {
        return backend.bufferSizeReadBack(set);
    }

    boolean kernelSockets() {
        return backend.kernelSockets();
    }

    Path file(String name) {
        return backend.file(tempDir, name);
    }

    @BeforeEach
    void start() throws Exception {
        String unavailable = backend.unavailable();
        assumeTrue(unavailable == null, unavailable);
        rt = Fibril.runtime().carriers(2).backend(backend()).strict(true).build();
        server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 128);
        address = server.localAddress();
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

    /** Runs {@code body} in a fibril and rethrows what it threw. */
    void inFibril(Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = rt.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofMinutes(2)), "fibril did not finish");
        if (failure.get() != null) {
            throw new AssertionError("fibril failed", failure.get());
        }
    }

    static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < size; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        return b;
    }

    static void readFully(FibrilSocketChannel s, ByteBuffer dst) throws Exception {
        while (dst.hasRemaining()) {
            if (s.read(dst) < 0) {
                throw new AssertionError("end of stream with " + dst.remaining() + " bytes missing");
            }
        }
    }

    Thread echoServer() {
        return rt.start(() -> {
            try (FibrilSocketChannel s = server.accept()) {
                ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
                while (s.read(buf.clear()) >= 0) {
                    s.write(buf.flip());
                }
                s.shutdownOutput();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }
}
