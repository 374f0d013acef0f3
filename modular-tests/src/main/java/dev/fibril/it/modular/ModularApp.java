/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.modular;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.FibrilThreadPool;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * Runs a strict-mode runtime (which refuses to start without the scheduler hook), reads a file
 * through the kernel backend and serves one request on the {@link FibrilConnector}, then prints
 * one line saying which module each part came from and exits 0; any failure exits non-zero.
 */
public final class ModularApp {
    private ModularApp() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Files.writeString(Files.createTempFile("fibril-modular", ".txt"), "read by a fibril");
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).strict(true).build()) {
            String read = readOnAFibril(rt, file);
            Server server = new Server(new FibrilThreadPool(rt));
            FibrilConnector connector = new FibrilConnector(server, rt, new HttpConnectionFactory(), new HTTP2CServerConnectionFactory());
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            server.setHandler(new Handler.Abstract.NonBlocking() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                    Content.Sink.write(response, true, "served by a fibril", callback);
                    return true;
                }
            });
            server.start();
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/"))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                System.out.println("modular ok: app=" + ModularApp.class.getModule().getName()
                        + " runtime=" + FibrilRuntime.class.getModule().getName()
                        + " connector=" + FibrilConnector.class.getModule().getName()
                        + " backend=" + rt.backendName()
                        + " file='" + read + "' http=" + r.statusCode() + " '" + r.body() + "'");
            } finally {
                server.stop();
            }
        } finally {
            Files.delete(file);
        }
    }

    private static String readOnAFibril(FibrilRuntime rt, Path file) throws Exception {
        String[] result = new String[1];
        Exception[] failure = new Exception[1];
        Thread t = rt.start(() -> {
            try (FibrilFileChannel f = rt.openFile(file)) {
                ByteBuffer buf = ByteBuffer.allocateDirect(64);
                f.read(buf, 0);
                result[0] = StandardCharsets.UTF_8.decode(buf.flip()).toString();
            } catch (Exception e) {
                failure[0] = e;
            }
        });
        t.join();
        if (failure[0] != null) {
            throw failure[0];
        }
        return result[0];
    }
}
