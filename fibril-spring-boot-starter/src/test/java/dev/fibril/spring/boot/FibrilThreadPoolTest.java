/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilThreadPool;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FibrilThreadPoolTest {
    @Test
    void shouldGiveJettyAFibrilThreadPoolAndCloseTheRuntimeWithTheContext() throws Exception {
        FibrilRuntime runtime;
        // Boot's virtual-thread pool is set too, before ours: the Fibril pool must win.
        try (ConfigurableApplicationContext app = SampleApps.start("fibril.jetty.thread-pool=true",
                "spring.threads.virtual.enabled=true", "server.jetty.threads.max=64")) {
            runtime = app.getBean(FibrilRuntime.class);
            FibrilThreadPool pool = assertInstanceOf(FibrilThreadPool.class, SampleApps.jetty(app).getThreadPool());
            assertSame(runtime, pool.getRuntime());
            assertEquals(64, pool.getMaxThreads(), "server.jetty.threads.max bounds the pool");

            HttpResponse<String> response = SampleApps.get(app, "/hello");
            assertEquals("hello", response.body());

            AtomicBoolean onFibril = new AtomicBoolean();
            pool.execute(() -> onFibril.set(Fibril.isFibril()));
            await().atMost(Duration.ofSeconds(10)).untilTrue(onFibril);
        }
        assertThrows(RejectedExecutionException.class, () -> runtime.start(() -> { }), "the runtime closed with the context");
    }
}
