/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.spring.boot.sample.HelloApplication;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.eclipse.jetty.server.Server;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts {@link HelloApplication} for real, on 127.0.0.1 and a free port, and calls it over HTTP. */
final class SampleApps {
    private SampleApps() {
    }

    static ConfigurableApplicationContext start(String... properties) {
        return start(new Class<?>[0], properties);
    }

    /** With {@code configurations} of the test's own beside the application's. */
    static ConfigurableApplicationContext start(Class<?>[] configurations, String... properties) {
        return new SpringApplicationBuilder(HelloApplication.class)
                .sources(configurations)
                .properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off")
                .properties(properties)
                .run();
    }

    static Server jetty(ConfigurableApplicationContext app) {
        return ((JettyWebServer) ((WebServerApplicationContext) app).getWebServer()).getServer();
    }

    static HttpResponse<String> get(ConfigurableApplicationContext app, String path) throws IOException, InterruptedException {
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(30)).build();
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }
}
