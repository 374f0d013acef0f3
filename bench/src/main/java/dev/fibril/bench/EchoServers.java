/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.demo.EchoServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ThreadFactory;

/**
 * The echo servers of the load comparison, one per JVM: {@code fibril-io_uring}, {@code fibril-epoll},
 * {@code jdk-virtual} (blocking java.net sockets, a virtual thread per connection) and
 * {@code platform} (a platform thread per connection), and Netty 4.2 on its native epoll and
 * io_uring transports ({@code netty-epoll}, {@code netty-io_uring}). Binds to a free loopback port, prints
 * {@code PORT n}, and exits when its standard input closes, so it never outlives the load client.
 */
public final class EchoServers {
    private EchoServers() {
    }

    public static void main(String[] args) throws Exception {
        String kind = args.length > 0 ? args[0] : "";
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        switch (kind) {
            case "fibril-io_uring", "fibril-epoll" -> {
                try (FibrilRuntime rt = Fibril.runtime().backend(kind.substring("fibril-".length())).build();
                     EchoServer server = new EchoServer(rt, any)) {
                    announce(server.address().getPort());
                }
            }
            case "netty-epoll", "netty-io_uring" -> NettyEchoServer.serve(kind.substring("netty-".length()), any);
            case "jdk-virtual" -> blockingServer(any, Thread.ofVirtual().factory());
            case "platform" -> blockingServer(any, Thread.ofPlatform().daemon().factory());
            default -> throw new IllegalArgumentException("unknown server kind '" + kind
                    + "' (fibril-io_uring, fibril-epoll, netty-epoll, netty-io_uring, jdk-virtual, platform)");
        }
    }

    private static void blockingServer(InetSocketAddress bind, ThreadFactory perConnection) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(bind, 4096);
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        perConnection.newThread(() -> echo(s)).start();
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            });
            announce(server.getLocalPort());
            acceptor.interrupt();
        }
    }

    private static void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            s.setTcpNoDelay(true);
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // the client went away: this connection is done
        }
    }

    /** Tells the parent the port, then serves until the parent closes our standard input. */
    static void announce(int port) throws IOException {
        System.out.println("PORT " + port);
        System.out.flush();
        while (System.in.read() >= 0) {
            // the parent never writes; end of input means it is done or gone
        }
    }
}
