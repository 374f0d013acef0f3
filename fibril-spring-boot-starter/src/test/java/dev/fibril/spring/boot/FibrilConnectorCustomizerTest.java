/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;

import java.util.List;

import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The swap on a Jetty server as Boot's factory builds it, before anything starts. */
class FibrilConnectorCustomizerTest {
    private final FibrilRuntime runtime = Fibril.runtime().carriers(1).build();

    @AfterEach
    void close() {
        runtime.close();
    }

    @Test
    void shouldTakeOverTheAddressPortTimeoutsAndProtocols() {
        Server server = new Server();
        HttpConfiguration config = new HttpConfiguration();
        HttpConnectionFactory http = new HttpConnectionFactory(config);
        HTTP2CServerConnectionFactory h2c = new HTTP2CServerConnectionFactory(config);
        ServerConnector boot = new ServerConnector(server, http, h2c);
        boot.setHost("127.0.0.1");
        boot.setPort(8123);
        boot.setIdleTimeout(12_345);
        boot.setShutdownIdleTimeout(678);
        server.addConnector(boot);

        new FibrilConnectorCustomizer(runtime).customize(server);

        FibrilConnector fibril = assertInstanceOf(FibrilConnector.class, server.getConnectors()[0]);
        assertEquals(1, server.getConnectors().length);
        assertSame(runtime, fibril.getRuntime());
        assertEquals("127.0.0.1", fibril.getHost());
        assertEquals(8123, fibril.getPort());
        assertEquals(12_345, fibril.getIdleTimeout());
        assertEquals(678, fibril.getShutdownIdleTimeout());
        assertEquals(List.<ConnectionFactory>of(http, h2c), List.copyOf(fibril.getConnectionFactories()));
        assertSame(http, fibril.getDefaultConnectionFactory(), "HTTP/1.1 first, as Boot has it");
        assertTrue(boot.getConnectionFactories().isEmpty(), "the factories moved, not shared");
    }

    @Test
    void shouldLeaveATlsConnectorAsBootMadeIt() {
        Server server = new Server();
        ServerConnector tls = new ServerConnector(server, new SslConnectionFactory("http/1.1"), new HttpConnectionFactory());
        server.addConnector(tls);

        new FibrilConnectorCustomizer(runtime).customize(server);

        assertSame(tls, server.getConnectors()[0]);
    }
}
