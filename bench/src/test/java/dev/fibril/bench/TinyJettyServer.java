/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.net.URI;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.ThreadPool;

/**
 * A plain Jetty server with the HTTP comparison's two endpoints, for testing the harness without
 * the demo server: GET /hello answers "Hello, World!" with a Content-Length, POST /echo streams the
 * body back (chunked, as Jetty does when the length is not set), anything else is 404.
 */
final class TinyJettyServer implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;

    TinyJettyServer(ThreadPool pool) throws Exception {
        server = new Server(pool);
        connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String path = Request.getPathInContext(request);
                if (path.equals("/hello") && request.getMethod().equals("GET")) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                    Content.Sink.write(response, true, "Hello, World!", callback);
                    return true;
                }
                if (path.equals("/echo") && request.getMethod().equals("POST")) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
                    Content.copy(request, response, callback);
                    return true;
                }
                return false;
            }
        });
        server.start();
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/");
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
