/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.FibrilRuntime;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilSocketChannel;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An HTTP/1.1 client for what real clients will not send: pipelined requests, malformed requests,
 * requests that stall half-way, responses read slowly or abandoned. It runs on a plain
 * {@link Socket} ({@link #connect(URI)}) or on a {@link FibrilSocketChannel} of a Fibril runtime
 * ({@link #connect(FibrilRuntime, URI)}), which reaches a server on that runtime's simulated kernel.
 * Blocking; one connection; reads with a 30 s timeout so a test never waits forever.
 */
final class RawHttp implements Closeable {
    static final int READ_TIMEOUT_MILLIS = 30_000;

    /** The JDK socket, or null on a Fibril channel. */
    private final Socket socket;
    private final FibrilSocketChannel channel;
    private final InputStream in;
    private final OutputStream out;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.channel = null;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    private RawHttp(FibrilSocketChannel channel) {
        this.socket = null;
        this.channel = channel;
        this.in = new BufferedInputStream(new ChannelInput(channel), 64 * 1024);
        this.out = new ChannelOutput(channel);
    }

    /** A connection to {@code base}'s host and port. */
    static RawHttp connect(URI base) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
            s.setSoTimeout(READ_TIMEOUT_MILLIS);
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new RawHttp(s);
    }

    /**
     * A connection to {@code base}'s host and port through {@code runtime}'s backend: on a simulated
     * kernel, to a server listening on that kernel. Usable from a fibril of the runtime or any other
     * thread.
     */
    static RawHttp connect(FibrilRuntime runtime, URI base) throws IOException {
        FibrilSocketChannel ch = runtime.openSocket();
        try {
            ch.connect(new InetSocketAddress(base.getHost(), base.getPort()));
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.readTimeout(Duration.ofMillis(READ_TIMEOUT_MILLIS));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new RawHttp(ch);
    }

    /** The JDK socket under this client, for socket options only it has (SO_LINGER); null on a Fibril channel. */
    Socket socket() {
        return socket;
    }

    /** The client's port, as the server sees it in the end point's remote address. */
    int localPort() throws IOException {
        return socket != null ? socket.getLocalPort() : channel.localAddress().getPort();
    }

    /** Ends the request side (FIN) and keeps reading. */
    void shutdownOutput() throws IOException {
        if (socket != null) {
            socket.shutdownOutput();
        } else {
            channel.shutdownOutput();
        }
    }

    /** {@code GET path HTTP/1.1} with a Host header, as text to send. */
    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    RawHttp send(String request) throws IOException {
        return send(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** A response's status line and headers (names in lower case). */
    record Head(int status, Map<String, String> headers) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        long contentLength() {
            String v = header("content-length");
            return v == null ? -1 : Long.parseLong(v.trim());
        }

        boolean chunked() {
            String v = header("transfer-encoding");
            return v != null && v.toLowerCase(Locale.ROOT).contains("chunked");
        }
    }

    record Response(Head head, byte[] body) {
        int status() {
            return head.status();
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Reads a status line and headers; null if the connection ended before the first byte. */
    Head readHead() throws IOException {
        String status = readLine(true);
        if (status == null) {
            return null;
        }
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1 status line: " + status);
        }
        Map<String, String> headers = new TreeMap<>();
        for (String line = readLine(false); !line.isEmpty(); line = readLine(false)) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("bad response header: " + line);
            }
            headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        return new Head(Integer.parseInt(parts[1]), headers);
    }

    /** Reads one whole response (Content-Length, chunked, or until the connection ends); null at end of stream. */
    Response read() throws IOException {
        Head head = readHead();
        return head == null ? null : new Response(head, readBody(head));
    }

    /** Reads the body that {@code head} announced (Content-Length, chunked, or until the connection ends). */
    byte[] readBody(Head head) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (head.chunked()) {
            for (int size = chunkSize(); size > 0; size = chunkSize()) {
                byte[] b = in.readNBytes(size);
                if (b.length < size) {
                    throw new EOFException("chunk ended after " + b.length + " of " + size + " bytes");
                }
                body.write(b);
                expectLine("");
            }
            for (String trailer = readLine(false); !trailer.isEmpty(); trailer = readLine(false)) {
                // trailers are not needed by the tests
            }
        } else if (head.contentLength() >= 0) {
            byte[] b = in.readNBytes((int) head.contentLength());
            if (b.length < head.contentLength()) {
                throw new EOFException("body ended after " + b.length + " of " + head.contentLength() + " bytes");
            }
            body.write(b);
        } else if (head.status() >= 200 && head.status() != 204 && head.status() != 304) {
            body.write(in.readAllBytes());
        }
        return body.toByteArray();
    }

    /** The body's stream after {@link #readHead()}; the caller reads as much as the head announced. */
    InputStream body() {
        return in;
    }

    /**
     * Waits for the server to end the connection: true if it did (end of stream or reset), false if
     * it sent more bytes instead. Throws {@link java.net.SocketTimeoutException} if nothing happened
     * within the read timeout.
     */
    boolean awaitClosedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException | ErrnoException e) {
            return true; // connection reset: closed with unread bytes on either side
        }
    }

    private int chunkSize() throws IOException {
        String line = readLine(false);
        int semi = line.indexOf(';');
        return Integer.parseInt((semi < 0 ? line : line.substring(0, semi)).trim(), 16);
    }

    private void expectLine(String expected) throws IOException {
        String line = readLine(false);
        if (!line.equals(expected)) {
            throw new IOException("expected '" + expected + "', got '" + line + "'");
        }
    }

    private String readLine(boolean eofAllowed) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (eofAllowed && sb.isEmpty()) {
                    return null;
                }
                throw new EOFException("connection ended in a line: '" + sb + "'");
            }
            if (b == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) b);
        }
    }

    @Override
    public void close() throws IOException {
        if (socket != null) {
            socket.close();
        } else {
            channel.close();
        }
    }

    /** A Fibril channel's bytes as a stream; -1 at end of stream. */
    private static final class ChannelInput extends InputStream {
        private final FibrilSocketChannel channel;

        ChannelInput(FibrilSocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            return channel.read(ByteBuffer.wrap(b, off, len));
        }
    }

    /** Writes go out whole before {@code write} returns (the channel continues after short sends). */
    private static final class ChannelOutput extends OutputStream {
        private final FibrilSocketChannel channel;

        ChannelOutput(FibrilSocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            channel.write(ByteBuffer.wrap(b, off, len));
        }
    }
}
