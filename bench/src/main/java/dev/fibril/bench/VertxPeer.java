/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A peer of the HTTP comparison: Vert.x 5's HTTP server on Netty's io_uring transport where the
 * kernel allows it, else on NIO (the announce line says which, and why). One server verticle per
 * CPU, all on the same port, so every event loop accepts, as Vert.x applications are deployed.
 * Run in its own JVM by {@link HttpLoad} with its own class path ({@link Peers#classpath}) first;
 * prints one {@link Peers#ANNOUNCE} line, stops on SIGTERM.
 */
final class VertxPeer {
    private static final Buffer HELLO = Buffer.buffer("Hello, World!");

    private VertxPeer() {
    }

    /** One server on the shared port; Vert.x spreads the accepted connections over the verticles' event loops. */
    private static final class ServerVerticle extends VerticleBase {
        private final int port;

        ServerVerticle(int port) {
            this.port = port;
        }

        @Override
        public Future<?> start() {
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
                    .setAcceptBacklog(Peers.BACKLOG).setTcpNoDelay(true));
            return server.requestHandler(VertxPeer::handle).listen();
        }
    }

    private static void handle(HttpServerRequest req) {
        if (req.path().equals("/hello") && req.method() == HttpMethod.GET) {
            req.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8").end(HELLO);
        } else if (req.path().equals("/echo") && req.method() == HttpMethod.POST) {
            String type = req.getHeader(HttpHeaders.CONTENT_TYPE);
            req.body().onSuccess(body -> req.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, type != null ? type : "application/octet-stream").end(body))
                    .onFailure(e -> req.response().setStatusCode(400).end());
        } else {
            req.response().setStatusCode(404).end();
        }
    }

    public static void main(String[] args) throws Exception {
        boolean uring = Transport.IO_URING.available();
        String fallback = uring ? "" : " fallback=" + Peers.oneWord(String.valueOf(Transport.IO_URING.unavailabilityCause()));
        Vertx vertx = Vertx.builder().withTransport(uring ? Transport.IO_URING : Transport.NIO).build();
        int port = Peers.freeLoopbackPort();
        int cpus = Runtime.getRuntime().availableProcessors();
        // The verticles listen on the same port: Vert.x shares one listening socket among them.
        vertx.deployVerticle(() -> new ServerVerticle(port), new DeploymentOptions().setInstances(cpus))
                .await(30, TimeUnit.SECONDS);
        String transport = ((VertxInternal) vertx).transport().getClass().getSimpleName()
                .replace("Transport", "").toLowerCase(java.util.Locale.ROOT).replace("iouring", "io_uring");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            vertx.close().await();
            stopped.countDown();
        }, "vertx-peer-stop"));
        System.out.println(Peers.announce(port, "server=vertx version=" + Peers.mavenVersion("io.vertx", "vertx-core")
                + " transport=" + transport + " event-loops=" + cpus + fallback));
        System.out.flush();
        stopped.await();
    }
}
