/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;

import java.util.List;

import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.core.Ordered;

/**
 * Puts a {@link FibrilConnector} where Spring Boot's Jetty factory put its {@link ServerConnector}:
 * same host and port ({@code server.address}, {@code server.port}), same connection factories
 * (HTTP/1.1 with Boot's {@code HttpConfiguration}, h2c when {@code server.http2.enabled}), same
 * idle timeouts. It runs first among the server customizers, so the ones after it, Boot's own
 * ({@code server.jetty.connection-idle-timeout}, header sizes, forwarded headers) and the
 * application's, configure the Fibril connector.
 *
 * <p>A TLS connector ({@code server.ssl.*}) is left as Boot made it, with a warning: TLS on a
 * FibrilConnector is not tested yet.
 */
public class FibrilConnectorCustomizer implements JettyServerCustomizer, Ordered {
    private static final Logger LOG = LoggerFactory.getLogger(FibrilConnectorCustomizer.class);

    private final FibrilRuntime runtime;

    public FibrilConnectorCustomizer(FibrilRuntime runtime) {
        this.runtime = runtime;
    }

    /** First, so that later customizers see the Fibril connector. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    /** Replaces each plain-text {@link ServerConnector} of {@code server}; other connectors stay. */
    @Override
    public void customize(Server server) {
        Connector[] connectors = server.getConnectors();
        boolean replaced = false;
        for (int i = 0; i < connectors.length; i++) {
            if (!(connectors[i] instanceof ServerConnector boot)) {
                continue;
            }
            if (boot.getConnectionFactory(SslConnectionFactory.class) != null) {
                LOG.warn("server.ssl is on: the TLS connector on port {} stays Jetty's ServerConnector, not Fibril's", boot.getPort());
                continue;
            }
            connectors[i] = replace(server, boot);
            replaced = true;
        }
        if (replaced) {
            server.setConnectors(connectors);
            if (server.getBean(NetworkConnectionLimit.class) != null) {
                // Jetty's limit counts accepts through the ServerConnector's selector, which is gone.
                LOG.warn("server.jetty.max-connections is not enforced on a FibrilConnector");
            }
        }
    }

    private FibrilConnector replace(Server server, ServerConnector boot) {
        List<ConnectionFactory> factories = List.copyOf(boot.getConnectionFactories());
        String defaultProtocol = boot.getDefaultProtocol();
        boot.clearConnectionFactories(); // a factory is a managed bean of one connector at a time
        FibrilConnector fibril = new FibrilConnector(server, runtime, factories.toArray(ConnectionFactory[]::new));
        fibril.setDefaultProtocol(defaultProtocol);
        fibril.setName(boot.getName());
        fibril.setHost(boot.getHost());
        fibril.setPort(boot.getPort());
        fibril.setIdleTimeout(boot.getIdleTimeout());
        fibril.setShutdownIdleTimeout(boot.getShutdownIdleTimeout());
        if (boot.getAcceptQueueSize() > 0) {
            fibril.setAcceptQueueSize(boot.getAcceptQueueSize());
        }
        return fibril;
    }
}
