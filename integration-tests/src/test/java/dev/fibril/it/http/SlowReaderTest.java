/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.FibrilThreadPool;
import dev.fibril.jetty.demo.FilesHandler;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.PathMappingsHandler;
import org.eclipse.jetty.http.pathmap.PathSpec;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A client that reads a large response slowly but steadily (8 MiB at about 4 MiB/s, through a small
 * receive buffer) must get all of it although the server's idle timeout (500 ms) is far shorter
 * than the response takes: bytes keep moving, so the connection is not idle. Held against Jetty's
 * ServerConnector (the reference) and the FibrilConnector on io_uring and epoll, for a body written
 * from memory and for a file that the FibrilConnector sends with sendFile.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowReaderTest {
    private static final int BODY = 8 << 20;
    private static final long IDLE_TIMEOUT_MILLIS = 500;
    private static final int CLIENT_RECEIVE_BUFFER = 16 * 1024;
    private static final int READ_CHUNK = 16 * 1024;
    /** About 4 MiB/s: one 16 KiB read every 4 ms. Load shaping only; nothing is asserted on time. */
    private static final long READ_PAUSE_NANOS = 4_000_000;

    enum Kind { SERVER_CONNECTOR, FIBRIL_IO_URING, FIBRIL_EPOLL }

    @TempDir
    Path dir;

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
    @EnumSource(Kind.class)
    void shouldDeliverAWholeBodyWrittenFromMemoryToASlowSteadyReader(Kind kind) throws Exception {
        int port = start(kind);
        byte[] body = pattern(BODY);
        assertEquals(digest(body), slowGet(port, "/memory"), "the body the slow reader got");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void shouldDeliverAWholeFileToASlowSteadyReader(Kind kind) throws Exception {
        int port = start(kind);
        byte[] body = pattern(BODY);
        assertEquals(digest(body), slowGet(port, "/files/big.bin"), "the file the slow reader got");
    }

    private int start(Kind kind) throws Exception {
        Path files = Files.createDirectories(dir.resolve("files"));
        Files.write(files.resolve("big.bin"), pattern(BODY));
        ThreadPool pool;
        if (kind == Kind.SERVER_CONNECTOR) {
            pool = new QueuedThreadPool();
        } else {
            String backend = kind == Kind.FIBRIL_IO_URING ? "io_uring" : "epoll";
            if (kind == Kind.FIBRIL_IO_URING) {
                IoUringProbe probe = IoUringBackend.probe();
                assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
            }
            runtime = Fibril.runtime().carriers(2).backend(backend).build();
            pool = new FibrilThreadPool(runtime);
        }
        server = new Server(pool);
        AbstractNetworkConnector connector = kind == Kind.SERVER_CONNECTOR ? new ServerConnector(server)
                : new FibrilConnector(server, runtime);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
        server.addConnector(connector);
        PathMappingsHandler routes = new PathMappingsHandler();
        routes.addMapping(PathSpec.from("/memory"), new MemoryHandler());
        routes.addMapping(PathSpec.from("/files/*"), new FilesHandler(files));
        ContextHandler context = new ContextHandler(routes, "/");
        server.setHandler(context);
        server.start();
        return connector.getLocalPort();
    }

    /** Writes {@link #BODY} bytes of {@link #pattern} in one write, from a direct buffer. */
    private static final class MemoryHandler extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            byte[] bytes = pattern(BODY);
            ByteBuffer body = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            response.write(true, body, callback);
            return true;
        }
    }

    /** GETs {@code path} and reads the body in paced chunks; returns the body's digest. */
    private static String slowGet(int port, String path) throws Exception {
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(CLIENT_RECEIVE_BUFFER); // before connect: it bounds the window offered
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(RawHttp.READ_TIMEOUT_MILLIS);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            long length = readHead(in);
            assertEquals(BODY, length, "Content-Length");
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] chunk = new byte[READ_CHUNK];
            long received = 0;
            while (received < length) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, length - received));
                if (n < 0) {
                    throw new IOException("the server closed the connection after " + received + " of " + length
                            + " body bytes");
                }
                md.update(chunk, 0, n);
                received += n;
                LockSupport.parkNanos(READ_PAUSE_NANOS);
            }
            return HexFormat.of().formatHex(md.digest());
        }
    }

    /** Reads a response head byte by byte (so no body byte is taken early); returns its Content-Length. */
    private static long readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection ended in the response head: " + head);
            }
            head.append((char) b);
        }
        String text = head.toString();
        if (!text.startsWith("HTTP/1.1 200")) {
            throw new IOException("not a 200 response: " + text);
        }
        for (String line : text.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        throw new IOException("no Content-Length: " + text);
    }

    /** {@code n} bytes that differ from one position to the next (a shifted or lost chunk shows). */
    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >>> 13));
        }
        return b;
    }

    private static String digest(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
