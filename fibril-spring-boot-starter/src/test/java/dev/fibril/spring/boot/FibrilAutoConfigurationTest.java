/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jetty.servlet.JettyServletWebServerFactory;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** The conditions and the properties, without starting a server: a Jetty factory bean stands for Boot's. */
class FibrilAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(FibrilAutoConfiguration.class, FibrilMetricsAutoConfiguration.class))
            .withBean(JettyServletWebServerFactory.class);

    @Test
    void shouldBuildTheRuntimeFromTheProperties() {
        runner.withPropertyValues("fibril.carriers=1", "fibril.backend=epoll", "fibril.descriptor-pool-size=8",
                "fibril.descriptor-pool-bound=64", "fibril.handoff-threshold=20ms", "fibril.max-spare-threads=2")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(FibrilConnectorCustomizer.class);
                    FibrilRuntime runtime = context.getBean(FibrilRuntime.class);
                    assertThat(runtime.stats().carriers()).isEqualTo(1);
                    assertThat(runtime.backendName()).isEqualTo("epoll");
                    assertThat(runtime.stats().descriptorBound()).isEqualTo(64);
                    assertThat(context.getBean(FibrilProperties.class).handoffThreshold()).hasMillis(20);
                });
    }

    @Test
    void shouldFailAtStartupOnABadSetting() {
        runner.withPropertyValues("fibril.carriers=0").run(context -> assertThat(context).getFailure()
                .rootCause().isInstanceOf(IllegalArgumentException.class).hasMessageContaining("carriers must be at least 1"));
    }

    @Test
    void shouldStayOffWhenDisabled() {
        runner.withPropertyValues("fibril.enabled=false").run(context -> assertThat(context)
                .hasNotFailed().doesNotHaveBean(FibrilRuntime.class).doesNotHaveBean(FibrilConnectorCustomizer.class));
    }

    @Test
    void shouldStayOffWhenJettyIsNotTheWebServer() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(FibrilAutoConfiguration.class, FibrilMetricsAutoConfiguration.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(FibrilRuntime.class));
    }

    @Test
    void shouldServeOnTheApplicationsOwnRuntime() {
        runner.withBean("myRuntime", FibrilRuntime.class, () -> Fibril.runtime().carriers(1).build())
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(FibrilRuntime.class).hasBean("myRuntime");
                    assertThat(context).hasSingleBean(FibrilConnectorCustomizer.class);
                });
    }

    @Test
    void shouldAddTheThreadPoolOnlyWhenAskedFor() {
        runner.run(context -> assertThat(context).doesNotHaveBean(FibrilThreadPoolCustomizer.class));
        runner.withPropertyValues("fibril.jetty.thread-pool=true")
                .run(context -> assertThat(context).hasSingleBean(FibrilThreadPoolCustomizer.class));
    }

    @Test
    void shouldBindTheMetersItselfWithoutBootsMetricsModule() {
        runner.withClassLoader(new FilteredClassLoader(FibrilMetricsAutoConfiguration.BOOT_BINDS_METER_BINDERS))
                .withBean(SimpleMeterRegistry.class)
                .run(context -> {
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    assertThat(registry.find("fibril.fibrils.started").functionCounter()).isNotNull();
                });
    }

    @Test
    void shouldLeaveTheBindingToBootsMetricsModuleWhenPresent() {
        // MeterRegistryPostProcessor is not configured here, so nothing binds: the binder is only offered.
        runner.withBean(SimpleMeterRegistry.class).run(context -> {
            assertThat(context).hasBean("fibrilMeterBinder");
            assertThat(context.getBean(MeterRegistry.class).find("fibril.fibrils.started").functionCounter()).isNull();
        });
    }

    @Test
    void shouldOfferNoMeterBinderWithoutARegistry() {
        runner.run(context -> assertThat(context).hasSingleBean(FibrilRuntime.class).doesNotHaveBean("fibrilMeterBinder"));
    }
}
