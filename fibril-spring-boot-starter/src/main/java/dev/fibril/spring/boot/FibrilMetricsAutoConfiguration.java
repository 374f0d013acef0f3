/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.FibrilRuntime;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Fibril's meters ({@code fibril.*}: fibrils, parks, submissions, descriptors, hand-offs) on the
 * application's {@link MeterRegistry}. The runtime's {@link FibrilRuntime#meterBinder()} is a
 * {@link MeterBinder} bean, which Spring Boot's metrics support ({@code spring-boot-micrometer-metrics},
 * brought by the actuator starter) binds to every registry, as it does its own JVM and Jetty
 * binders. Without that module the binder is bound here to each {@code MeterRegistry} bean. With
 * no {@code MeterRegistry} bean there is nothing to bind to, and this stays off.
 */
@AutoConfiguration(after = FibrilAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({FibrilRuntime.class, MeterRegistry.class})
public final class FibrilMetricsAutoConfiguration {
    static final String BOOT_BINDS_METER_BINDERS = "org.springframework.boot.micrometer.metrics.autoconfigure.MeterRegistryPostProcessor";

    @Bean
    MeterBinder fibrilMeterBinder(FibrilRuntime runtime) {
        return runtime.meterBinder();
    }

    /** Without Boot's metrics module nothing binds {@code MeterBinder} beans: bind Fibril's once every singleton exists. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingClass(BOOT_BINDS_METER_BINDERS)
    static class WithoutBootMetrics {
        @Bean
        SmartInitializingSingleton fibrilMeterBinding(FibrilRuntime runtime, ObjectProvider<MeterRegistry> registries) {
            return () -> registries.orderedStream().forEach(runtime.meterBinder()::bindTo);
        }
    }
}
