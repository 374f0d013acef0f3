/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.FibrilRuntime;

import io.micrometer.core.instrument.MeterRegistry;

import java.net.http.HttpResponse;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FibrilDisabledTest {
    @Test
    void shouldLeaveBootsOwnConnectorWhenFibrilIsDisabled() throws Exception {
        try (ConfigurableApplicationContext app = SampleApps.start("fibril.enabled=false")) {
            Connector[] connectors = SampleApps.jetty(app).getConnectors();
            assertEquals(1, connectors.length);
            assertInstanceOf(ServerConnector.class, connectors[0], "Jetty's own connector");
            assertTrue(app.getBeanProvider(FibrilRuntime.class).stream().findAny().isEmpty(), "no runtime is started");
            assertNull(app.getBean(MeterRegistry.class).find("fibril.fibrils.started").meter(), "no Fibril meters");

            HttpResponse<String> response = SampleApps.get(app, "/hello");

            assertEquals(200, response.statusCode());
            assertEquals("hello", response.body());
            assertEquals("thread", SampleApps.get(app, "/thread").body(), "Jetty's pool ran the controller");
        }
    }
}
