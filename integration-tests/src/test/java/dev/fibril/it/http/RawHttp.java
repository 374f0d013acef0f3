package dev.fibril.it.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An HTTP/1.1 client on a plain {@link Socket}, for what real clients will not send: pipelined
 * requests, malformed requests, requests that stall half-way, responses read slowly or abandoned.
 * Blocking; one connection; reads with a 30 s socket timeout so a test never waits forever.
 */
final class RawHttp implements Closeable {
    static final int READ_TIMEOUT_MILLIS = 30_000;

    private final Socket socket;
    private final InputStream in;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
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

    Socket socket() {
        return socket;
    }

    /** {@code GET path HTTP/1.1} with a Host header, as text to send. */
    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    RawHttp send(String request) throws IOException {
        return send(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawHttp send(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
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
        if (head == null) {
            return null;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (head.chunked()) {
            for (int size = chunkSize(); size > 0; size = chunkSize()) {
                body.write(in.readNBytes(size));
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
        return new Response(head, body.toByteArray());
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
        } catch (java.net.SocketException e) {
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
        socket.close();
    }
}
