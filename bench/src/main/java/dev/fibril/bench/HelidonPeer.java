/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * A peer of the HTTP comparison: Helidon SE 4's web server (Níma: a virtual thread per connection,
 * blocking I/O on the JDK's sockets) with the same {@code /hello} and {@code /echo} as the demo
 * server. Run in its own JVM by {@link HttpLoad}, with its own class path ({@link Peers#classpath}) before the
 * bench's class path; prints one {@link Peers#ANNOUNCE} line, stops on SIGTERM.
 */
final class HelidonPeer {
    private static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

    private HelidonPeer() {
    }

    public static void main(String[] args) throws Exception {
        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .backlog(Peers.BACKLOG)
                .shutdownHook(false)
                .connectionOptions(o -> o.tcpNoDelay(true))
                .routing(r -> r
                        .get("/hello", (req, res) -> {
                            res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                            res.send(HELLO);
                        })
                        .post("/echo", (req, res) -> {
                            String type = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("application/octet-stream");
                            byte[] body = req.content().as(byte[].class);
                            res.header(HeaderNames.CONTENT_TYPE, type);
                            res.send(body);
                        }))
                .build()
                .start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            stopped.countDown();
        }, "helidon-peer-stop"));
        System.out.println(Peers.announce(server.port(), "server=helidon version=" + Peers.mavenVersion("io.helidon.webserver", "helidon-webserver")
                + " threads=virtual io=jdk-sockets"));
        System.out.flush();
        stopped.await();
    }
}
