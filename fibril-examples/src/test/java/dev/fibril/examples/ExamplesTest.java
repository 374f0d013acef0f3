/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.examples;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.jetty.FibrilConnector;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's examples do what the README says. */
class ExamplesTest {

    @Test
    void shouldEchoWhatTheClientSends() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).build();
             FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 16)) {
            rt.start(() -> EchoExample.acceptLoop(rt, server));
            try (Socket s = new Socket("127.0.0.1", server.localAddress().getPort())) {
                s.setSoTimeout(20_000);
                OutputStream out = s.getOutputStream();
                out.write("hello, fibril".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                assertEquals("hello, fibril", new String(in.readNBytes(13), StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void shouldServeHelloFromJettyOnFibril() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).build()) {
            Server server = JettyExample.start(rt, 0);
            try {
                int port = ((FibrilConnector) server.getConnectors()[0]).getLocalPort();
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                assertEquals("Hello from a fibril\n", r.body());
            } finally {
                server.stop();
            }
        }
    }

    @Test
    void shouldHandTheHeldCarrierToASpareThread() throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).build()) {
            assertTrue(HandoffExample.spinUntilNeighbourRan(rt) >= 1, "the neighbour ran on another thread");
        }
    }
}
