/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.examples;

// README:begin
import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.FibrilThreadPool;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/** Jetty 12.1 on Fibril: http://127.0.0.1:8080/ answers over HTTP/1.1 and h2c. */
public class JettyExample {
    public static void main(String[] args) throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().build()) {
            Server server = start(rt, 8080);
            System.out.println("serving http://127.0.0.1:8080/; Ctrl-C stops it");
            server.join();
        }
    }

    static Server start(FibrilRuntime rt, int port) throws Exception {
        Server server = new Server(new FibrilThreadPool(rt));               // Jetty's tasks run on fibrils
        HttpConfiguration config = new HttpConfiguration();
        FibrilConnector connector = new FibrilConnector(server, rt,         // instead of ServerConnector
                new HttpConnectionFactory(config), new HTTP2CServerConnectionFactory(config));
        connector.setHost("127.0.0.1");
        connector.setPort(port);                                            // 0: any free port
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                Content.Sink.write(response, true, "Hello from a fibril\n", callback);
                return true;
            }
        });
        server.start();
        return server;
    }
}
// README:end
