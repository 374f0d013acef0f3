/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.FibrilThreadPool;

import io.micrometer.core.instrument.MeterRegistry;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.eclipse.jetty.server.Connector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sample application with the starter's defaults, started once, called over HTTP. */
class FibrilSpringBootApplicationTest {
    private static ConfigurableApplicationContext app;

    @BeforeAll
    static void start() {
        app = SampleApps.start(new Class<?>[] {RecordingCustomizer.class}, "server.jetty.connection-idle-timeout=7s");
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void shouldServeTheControllerThroughAFibrilConnector() throws Exception {
        Connector[] connectors = SampleApps.jetty(app).getConnectors();
        assertEquals(1, connectors.length, "Boot's one connector, replaced");
        FibrilConnector connector = assertInstanceOf(FibrilConnector.class, connectors[0]);
        FibrilRuntime runtime = app.getBean(FibrilRuntime.class);
        assertSame(runtime, connector.getRuntime(), "the connector runs on the runtime bean");
        assertEquals("127.0.0.1", connector.getHost(), "server.address");
        long accepted = connector.getAcceptedConnections();
        long started = runtime.stats().fibrilsStarted();

        HttpResponse<String> response = SampleApps.get(app, "/hello");

        assertEquals(200, response.statusCode());
        assertEquals("hello", response.body());
        assertTrue(connector.getAcceptedConnections() > accepted, "the connection was accepted by Fibril");
        assertTrue(runtime.stats().fibrilsStarted() > started, "the connection got its fibrils");
    }

    @Test
    void shouldLetBootsAndTheApplicationsCustomizersConfigureTheFibrilConnector() {
        assertInstanceOf(FibrilConnector.class, RecordingCustomizer.seen.getFirst(), "an application's JettyServerCustomizer runs after the swap");
        assertEquals(7_000, SampleApps.jetty(app).getConnectors()[0].getIdleTimeout(), "server.jetty.connection-idle-timeout");
    }

    @Test
    void shouldBindFibrilMetersToTheApplicationsRegistry() throws Exception {
        MeterRegistry registry = app.getBean(MeterRegistry.class);
        FibrilRuntime runtime = app.getBean(FibrilRuntime.class);
        assertEquals(200, SampleApps.get(app, "/hello").statusCode());

        double started = registry.get("fibril.fibrils.started").tag("backend", runtime.backendName()).functionCounter().count();

        assertTrue(started > 0, "fibril.fibrils.started counts the connection's fibrils: " + started);
        assertEquals(runtime.stats().carriers(), registry.get("fibril.descriptors.bound").gauges().size(), "one gauge per carrier");
    }

    @Test
    void shouldRunTheHandlerOnAFibrilWithJettysOwnThreadPool() throws Exception {
        assertFalse(SampleApps.jetty(app).getThreadPool() instanceof FibrilThreadPool, "fibril.jetty.thread-pool is off");
        assertEquals("fibril", SampleApps.get(app, "/thread").body(), "the connector ran the controller on the connection's fibril");
    }

    /** An application's own server customizer, as Boot's reference shows them; it records what it saw. */
    @Configuration(proxyBeanMethods = false)
    static class RecordingCustomizer {
        static final List<Connector> seen = new CopyOnWriteArrayList<>();

        @Bean
        JettyServerCustomizer recordConnectors() {
            return server -> seen.addAll(List.of(server.getConnectors()));
        }
    }
}
