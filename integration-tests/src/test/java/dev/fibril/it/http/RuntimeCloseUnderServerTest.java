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

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpHeader;
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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A runtime closed while a Jetty server still has connections on it interrupts their fibrils: the
 * reader of an idle connection and the writer of a stalled response must then end, not go round
 * parking with the interrupt still set (which never gives the carrier back, so it cannot stop).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RuntimeCloseUnderServerTest {
    private FibrilRuntime runtime;
    private Server server;

    @AfterEach
    void stop() throws Exception {
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
    void shouldEndTheConnectionsFibrilsWhenTheRuntimeCloses(String backend) throws Exception {
        if (backend.equals("io_uring")) {
            IoUringProbe probe = IoUringBackend.probe();
            assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
        }
        runtime = Fibril.runtime().carriers(1).backend(backend).build();
        server = new Server(new FibrilThreadPool(runtime));
        FibrilConnector connector = new FibrilConnector(server, runtime);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 16 << 20);
                response.write(true, ByteBuffer.allocateDirect(16 << 20), callback);
                return true;
            }
        });
        server.start();
        try (Socket idle = new Socket(); Socket stalled = new Socket()) {
            idle.connect(new InetSocketAddress("127.0.0.1", connector.getLocalPort()), 10_000);
            stalled.setReceiveBufferSize(16 * 1024);
            stalled.connect(new InetSocketAddress("127.0.0.1", connector.getLocalPort()), 10_000);
            stalled.setSoTimeout(10_000);
            stalled.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            stalled.getInputStream().read(); // the response started, and stalls: the client reads no more
            await().atMost(10, TimeUnit.SECONDS).until(() -> connector.getConnectedEndPoints().size() == 2);
            runtime.close(Duration.ofMillis(200));
            await().atMost(20, TimeUnit.SECONDS).untilAsserted(
                    () -> assertEquals(0, runtime.stats().fibrilsAlive(), "fibrils still alive after the runtime closed"));
        }
    }
}
