/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilThreadPool;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Gives Spring Boot's Jetty a {@link FibrilThreadPool} ({@code fibril.jetty.thread-pool=true}), so
 * that Jetty's tasks, request handling included, run on fibrils. {@code server.jetty.threads.max}
 * and {@code server.jetty.threads.max-queue-capacity} bound it when they are set; unset, the
 * pool keeps its own limits (10,000 tasks, 100,000 queued), since Boot's default of 200 threads is
 * sized for platform threads.
 */
public class FibrilThreadPoolCustomizer implements WebServerFactoryCustomizer<ConfigurableJettyWebServerFactory>, Ordered {
    /**
     * After Boot's own Jetty customizers (orders 0 and 1), which set a QueuedThreadPool, or a
     * VirtualThreadPool when {@code spring.threads.virtual.enabled}: the last pool set wins.
     */
    public static final int ORDER = 10;

    private final FibrilRuntime runtime;
    private final Environment environment;

    public FibrilThreadPoolCustomizer(FibrilRuntime runtime, Environment environment) {
        this.runtime = runtime;
        this.environment = environment;
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public void customize(ConfigurableJettyWebServerFactory factory) {
        FibrilThreadPool pool = new FibrilThreadPool(runtime);
        pool.setName("jetty-fibril");
        Binder binder = Binder.get(environment);
        binder.bind("server.jetty.threads.max", Integer.class).ifBound(pool::setMaxThreads);
        binder.bind("server.jetty.threads.max-queue-capacity", Integer.class).ifBound(pool::setMaxQueued);
        factory.setThreadPool(pool);
    }
}
