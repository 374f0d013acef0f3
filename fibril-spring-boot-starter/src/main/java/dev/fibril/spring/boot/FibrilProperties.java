/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code fibril.*} properties. A setting left out keeps {@link FibrilRuntime.Builder}'s
 * default, so the defaults named here are the builder's, not copies of them. (The descriptions
 * become the configuration metadata that IDEs show, hence their style: Spring Boot's.)
 *
 * @param enabled             Whether to put Fibril under Spring Boot's Jetty.
 * @param carriers            Number of carrier threads. Default: one per available processor.
 * @param backend             Kernel interface: io_uring, epoll or simulated. Default: the
 *                            fibril.backend system property, else io_uring when its probe
 *                            succeeds, else epoll. The connector needs io_uring or epoll.
 * @param descriptorPoolSize  Request descriptors preallocated per carrier, at most the bound.
 *                            Default: 256.
 * @param descriptorPoolBound Most request descriptors per carrier; a caller beyond it parks until
 *                            one frees. Default: 65,536.
 * @param handoffThreshold    How long a fibril may hold its carrier's thread while other work
 *                            waits before the carrier is handed to a spare thread; 0 turns the
 *                            hand-off off. Default: 5ms.
 * @param maxSpareThreads     Most spare threads for carriers whose thread is held. Default: 16.
 * @param strict              Whether to refuse to start without the scheduler hook (the JVM flag
 *                            --add-opens java.base/java.lang=ALL-UNNAMED) instead of warning once
 *                            and running fibrils on the JDK's default scheduler.
 * @param jetty               How Fibril serves under Jetty.
 */
@ConfigurationProperties("fibril")
public record FibrilProperties(
        @DefaultValue("true") boolean enabled,
        Integer carriers,
        String backend,
        Integer descriptorPoolSize,
        Integer descriptorPoolBound,
        Duration handoffThreshold,
        Integer maxSpareThreads,
        boolean strict,
        @DefaultValue Jetty jetty) {

    /**
     * The {@code fibril.jetty.*} properties.
     *
     * @param threadPool Whether Jetty's tasks, request handling included, run on fibrils: a
     *                   FibrilThreadPool in place of Jetty's thread pool.
     */
    public record Jetty(boolean threadPool) {
    }

    /** A builder with the properties that are set; {@code build()} starts the carriers. */
    FibrilRuntime.Builder toBuilder() {
        FibrilRuntime.Builder b = Fibril.runtime().strict(strict);
        if (carriers != null) {
            b.carriers(carriers);
        }
        if (backend != null && !backend.isBlank()) {
            b.backend(backend);
        }
        if (descriptorPoolSize != null) {
            b.descriptorPoolSize(descriptorPoolSize);
        }
        if (descriptorPoolBound != null) {
            b.descriptorPoolBound(descriptorPoolBound);
        }
        if (handoffThreshold != null) {
            b.handoffThreshold(handoffThreshold);
        }
        if (maxSpareThreads != null) {
            b.maxSpareThreads(maxSpareThreads);
        }
        return b;
    }
}
