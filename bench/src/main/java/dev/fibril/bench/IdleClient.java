/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Opens keep-alive connections to a server, one {@code GET /hello} each, and keeps them open and
 * silent: the idle-connections family's client. Connections are opened one at a time, so the
 * server's memory is read with exactly the connections that answered. Local addresses cycle over
 * 127.0.0.1 to 127.0.0.{@value #SOURCE_ADDRESSES}, so ephemeral ports last across rounds even with
 * sockets of earlier rounds in TIME_WAIT.
 */
final class IdleClient implements AutoCloseable {
    static final int SOURCE_ADDRESSES = 16;
    /** The most connections one run may ask for: 16 source addresses × the usual 28,232 ephemeral ports, and the fd limit. */
    static final int MAX_CONNECTIONS = 100_000;
    /** How long one connect or response may take before the client stops opening more. */
    static final int TIMEOUT_MILLIS = 10_000;

    private final List<Socket> open = new ArrayList<>();
    private String stall = "";

    /** Connections open and answered so far. */
    int size() {
        return open.size();
    }

    /** Why the last {@link #open} stopped before its count, or empty when it did not. */
    String stall() {
        return stall;
    }

    /**
     * Opens up to {@code count} more connections to {@code base}, each answering one GET /hello with
     * 200; stops at the first that fails or takes longer than {@value #TIMEOUT_MILLIS} ms (a server
     * at a limit), keeping the ones that answered. Returns how many it opened.
     */
    int open(URI base, int count) {
        InetSocketAddress server = new InetSocketAddress(base.getHost(), base.getPort());
        byte[] request = ("GET /hello HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        int before = open.size();
        for (int i = 0; i < count; i++) {
            int n = open.size();
            Socket s = new Socket();
            try {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (1 + n % SOURCE_ADDRESSES)}), 0));
                s.connect(server, TIMEOUT_MILLIS);
                s.setSoTimeout(TIMEOUT_MILLIS);
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
                String status = readResponse(s.getInputStream());
                if (!status.startsWith("HTTP/1.1 200")) {
                    throw new IOException("answered '" + status + "'");
                }
                open.add(s);
            } catch (IOException e) {
                stall = String.format(Locale.ROOT, "connection %,d failed (%s): %s", n + 1, e.getClass().getSimpleName(), e.getMessage());
                closeQuietly(s, true);
                break;
            }
        }
        return open.size() - before;
    }

    /**
     * Reads one response whose body has a Content-Length (the demo server's /hello) and returns its
     * status line; the connection is then idle, its input fully read.
     */
    static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!(head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n"))) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the server closed the connection after " + head.length() + " bytes of headers");
            }
            head.append((char) b);
            if (head.length() > 16 * 1024) {
                throw new IOException("response headers longer than 16 KiB");
            }
        }
        long length = -1;
        for (String line : head.toString().split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        if (length < 0) {
            throw new IOException("response without a Content-Length");
        }
        in.skipNBytes(length); // EOFException when the body is cut short
        return head.substring(0, head.indexOf("\r\n"));
    }

    /**
     * Closes every connection: with a FIN (the normal close), or {@code reset} with a RST (SO_LINGER
     * 0: a client that vanishes, a load balancer that drops the connection).
     */
    void closeAll(boolean reset) {
        for (Socket s : open) {
            closeQuietly(s, reset);
        }
        open.clear();
    }

    private static void closeQuietly(Socket s, boolean reset) {
        try {
            if (reset && !s.isClosed()) {
                s.setSoLinger(true, 0);
            }
        } catch (IOException e) {
            // closing anyway
        }
        try {
            s.close();
        } catch (IOException e) {
            // nothing left to free
        }
    }

    @Override
    public void close() {
        closeAll(false);
    }
}
