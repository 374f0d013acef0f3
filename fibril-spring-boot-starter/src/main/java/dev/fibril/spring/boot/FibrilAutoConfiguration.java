/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Fibril under Spring Boot's Jetty: when Jetty is the web server (servlet or reactive) and
 * {@code fibril.enabled} is not false, a {@link FibrilRuntime} bean built from the
 * {@code fibril.*} properties ({@link FibrilProperties}; closed with the context), a
 * {@link FibrilConnector} in place of Boot's connector ({@link FibrilConnectorCustomizer}) and,
 * with {@code fibril.jetty.thread-pool=true}, a {@link dev.fibril.jetty.FibrilThreadPool}.
 * An application's own {@code FibrilRuntime} bean is used instead of building one.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jetty.autoconfigure.servlet.JettyServletWebServerAutoConfiguration",
        "org.springframework.boot.jetty.autoconfigure.reactive.JettyReactiveWebServerAutoConfiguration"})
@ConditionalOnClass({FibrilConnector.class, ConfigurableJettyWebServerFactory.class})
@ConditionalOnBooleanProperty(name = "fibril.enabled", matchIfMissing = true)
@ConditionalOnBean(ConfigurableJettyWebServerFactory.class)
@EnableConfigurationProperties(FibrilProperties.class)
public final class FibrilAutoConfiguration {

    // Closed when the context closes: after the web server's lifecycle stopped its connectors,
    // so no connection is open any more.
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    FibrilRuntime fibrilRuntime(FibrilProperties properties) {
        return properties.toBuilder().build();
    }

    @Bean
    FibrilConnectorCustomizer fibrilConnectorCustomizer(FibrilRuntime runtime) {
        return new FibrilConnectorCustomizer(runtime);
    }

    @Bean
    @ConditionalOnBooleanProperty("fibril.jetty.thread-pool")
    FibrilThreadPoolCustomizer fibrilThreadPoolCustomizer(FibrilRuntime runtime, Environment environment) {
        return new FibrilThreadPoolCustomizer(runtime, environment);
    }
}
