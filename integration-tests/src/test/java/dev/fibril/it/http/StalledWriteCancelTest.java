/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.FibrilThreadPool;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A response stalled on a client that stopped reading is cancelled by Jetty (idle timeout, stop,
 * a failed request) with {@code EndPoint.cancelWrite}, on whatever thread notices: often the
 * scheduler thread that runs every timer of the server. cancelWrite must not wait for the
 * connection's carrier; here the only carrier is held by a fibril that spins.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StalledWriteCancelTest {
    private static final int BODY = 16 << 20;

    private final AtomicBoolean spin = new AtomicBoolean();
    private FibrilRuntime runtime;
    private Server server;

    @AfterEach
    void stop() throws Exception {
        spin.set(false);
        try {
            if (server != null) {
                server.stop();
            }
        } finally {
            if (runtime != null) {
                runtime.close();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void shouldCancelAStalledWriteWithoutWaitingForItsCarrier(String backend) throws Exception {
        if (backend.equals("io_uring")) {
            IoUringProbe probe = IoUringBackend.probe();
            assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
        }
        runtime = Fibril.runtime().carriers(1).backend(backend).build();
        server = new Server(new FibrilThreadPool(runtime));
        FibrilConnector connector = new FibrilConnector(server, runtime);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.setIdleTimeout(30_000);
        server.addConnector(connector);
        AtomicInteger writes = new AtomicInteger();
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                ByteBuffer body = ByteBuffer.allocateDirect(BODY);
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, BODY);
                writes.incrementAndGet();
                response.write(true, body, callback);
                return true;
            }
        });
        server.start();
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new InetSocketAddress("127.0.0.1", connector.getLocalPort()), 10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            in.read(); // the response started; the client reads no more, so the write stalls
            await().atMost(10, TimeUnit.SECONDS).until(() -> writes.get() == 1);
            // The write stalls, waiting in the kernel beside the acceptor's ACCEPT (the reader waits for no request meanwhile):
            await().atMost(10, TimeUnit.SECONDS).during(300, TimeUnit.MILLISECONDS)
                    .until(() -> runtime.stats().descriptorsInUse() >= 2);
            EndPoint endPoint = connector.getConnectedEndPoints().iterator().next();
            spin.set(true);
            CountDownLatch spinning = new CountDownLatch(1);
            runtime.start(() -> {
                spinning.countDown();
                while (spin.get()) {
                    Thread.onSpinWait(); // holds the only carrier: nothing else of the runtime runs
                }
            });
            assertTrue(spinning.await(10, TimeUnit.SECONDS), "the spinning fibril started");
            // What Jetty does when the response fails (an idle timeout, a stop), on its own thread:
            TimeoutException cause = new TimeoutException("the client stopped reading");
            Callback pending = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> endPoint.cancelWrite(cause),
                    "cancelWrite waited for the connection's carrier");
            if (pending != null) {
                pending.failed(cause);
            }
            endPoint.close(cause);
        } finally {
            spin.set(false);
        }
    }
}
