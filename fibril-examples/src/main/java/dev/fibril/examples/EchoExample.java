/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.examples;

// README:begin
import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** An echo server on 127.0.0.1:7007: one fibril per connection, in plain blocking code. */
public class EchoExample {
    public static void main(String[] args) throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().build();                      // io_uring if the kernel allows it
             FibrilServerSocketChannel server = rt.openServerSocket()
                     .bind(new InetSocketAddress("127.0.0.1", 7007), 1024)) {
            Thread acceptor = rt.start(() -> acceptLoop(rt, server));
            System.out.println("echo server on " + server.localAddress() + "; Ctrl-C stops it");
            acceptor.join();                                                 // until the server is closed
        }                                                                    // closes the server, then the runtime
    }

    static void acceptLoop(FibrilRuntime rt, FibrilServerSocketChannel server) {
        while (server.isOpen()) {
            FibrilSocketChannel client;
            try {
                client = server.accept();                                    // parks this fibril, not a thread
            } catch (IOException closed) {
                return;
            }
            rt.start(() -> echo(client));
        }
    }

    static void echo(FibrilSocketChannel client) {
        try (client) {
            ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
            while (client.read(buf.clear()) >= 0) {                          // one pooled descriptor, no allocation
                client.write(buf.flip());
            }
        } catch (IOException peerWentAway) {
            // this connection is done
        }
    }
}
// README:end
