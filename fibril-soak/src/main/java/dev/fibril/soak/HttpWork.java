/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * HTTP work: Jetty 12 on a {@link FibrilConnector} of the round's runtime, echoing POST bodies,
 * and clients on platform threads (users outside the runtime) sending seeded bodies of up to
 * 64 KiB over keep-alive connections that they sometimes drop, checking every response byte.
 */
final class HttpWork {
    private static final int MAX_BODY = 64 * 1024;
    private static final int CLIENT_TIMEOUT_MILLIS = 30_000;

    private final Tally tally;
    private final AtomicBoolean stop;
    private final Server server = new Server();
    private final List<Thread> clients = new ArrayList<>();

    HttpWork(Tally tally, AtomicBoolean stop) {
        this.tally = tally;
        this.stop = stop;
    }

    void start(FibrilRuntime rt, int clientCount, long seed) throws Exception {
        FibrilConnector connector = new FibrilConnector(server, rt);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                ByteBuffer body = Content.Source.asByteBuffer(request); // blocks this handler's fibril
                response.getHeaders().put("Content-Type", "application/octet-stream");
                response.write(true, body, callback);
                return true;
            }
        });
        server.start();
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", connector.getLocalPort());
        for (int i = 0; i < clientCount; i++) {
            SplittableRandom random = new SplittableRandom(seed * 13 + i);
            clients.add(Thread.ofPlatform().daemon().name("fibril-soak-http-" + i).start(() -> clientLoop(address, random)));
        }
    }

    List<Thread> clients() {
        return clients;
    }

    void stopServer() throws Exception {
        server.stop();
    }

    private void clientLoop(InetSocketAddress address, SplittableRandom random) {
        while (!stop.get()) {
            try (Socket s = new Socket()) {
                s.connect(address, CLIENT_TIMEOUT_MILLIS);
                s.setSoTimeout(CLIENT_TIMEOUT_MILLIS);
                int requests = 1 + random.nextInt(30);
                for (int r = 0; r < requests && !stop.get(); r++) {
                    request(s, random);
                }
            } catch (SocketTimeoutException e) {
                if (!stop.get()) {
                    tally.fail("HTTP client waited " + CLIENT_TIMEOUT_MILLIS + " ms for a response: " + e.getMessage());
                }
            } catch (IOException e) {
                if (!stop.get()) {
                    tally.fail("HTTP client failed on a connection nothing closed: " + e);
                }
            }
        }
    }

    private void request(Socket s, SplittableRandom random) throws IOException {
        byte[] body = new byte[random.nextInt(MAX_BODY + 1)];
        random.nextBytes(body);
        OutputStream out = s.getOutputStream();
        out.write(("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        InputStream in = s.getInputStream();
        String head = readHead(in);
        if (!head.startsWith("HTTP/1.1 200")) {
            tally.fail("HTTP response " + head.lines().findFirst().orElse("") + " to a POST of " + body.length + " bytes");
            throw new IOException("unexpected response");
        }
        int length = contentLength(head);
        byte[] got = in.readNBytes(length);
        if (got.length != length || !Arrays.equals(body, got)) {
            tally.fail("HTTP echo of " + body.length + " bytes came back as " + got.length + " different bytes");
        }
        tally.httpRequests.increment();
        tally.bytes.add(body.length);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the server closed the connection in a response head");
            }
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private static int contentLength(String head) throws IOException {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        throw new IOException("a response without Content-Length: " + head);
    }
}
