/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.reactive.context.ReactiveWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The sample application on WebFlux: Boot's reactive Jetty factory gets the Fibril connector too. */
class FibrilReactiveTest {
    @Test
    void shouldServeAWebFluxApplicationThroughAFibrilConnector() throws Exception {
        try (ConfigurableApplicationContext app = SampleApps.start("spring.main.web-application-type=reactive")) {
            assertInstanceOf(ReactiveWebServerApplicationContext.class, app);
            FibrilConnector connector = assertInstanceOf(FibrilConnector.class, SampleApps.jetty(app).getConnectors()[0]);
            assertSame(app.getBean(FibrilRuntime.class), connector.getRuntime());

            HttpResponse<String> response = SampleApps.get(app, "/hello");

            assertEquals(200, response.statusCode());
            assertEquals("hello", response.body());
            assertEquals(1, connector.getAcceptedConnections());
        }
    }
}
