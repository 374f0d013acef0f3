/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

import dev.fibril.aio.FibrilFileChannel;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {

    @Test
    void shouldExposeRuntimeCountersAsMicrometerMeters() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (FibrilRuntime rt = Fibril.runtime().carriers(2).backend("simulated").strict(true).build()) {
            rt.meterBinder().bindTo(registry);
            Thread t = rt.start(() -> {
                try (FibrilFileChannel f = rt.openFile(Path.of("/m"), READ, WRITE, CREATE)) {
                    for (int i = 0; i < 10; i++) {
                        f.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
                        f.read(ByteBuffer.allocate(3), 0);
                    }
                    f.read(ByteBuffer.allocate(3), 0);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertTrue(t.join(Duration.ofSeconds(30)));
            assertEquals(11, registry.get("fibril.completions").tags("op", "read", "outcome", "ok", "backend", "simulated")
                    .functionCounter().count());
            assertEquals(10, registry.get("fibril.completions").tags("op", "write", "outcome", "ok").functionCounter().count());
            assertEquals(1, registry.get("fibril.fibrils.started").functionCounter().count());
            assertTrue(registry.get("fibril.submissions").functionCounter().count() >= 21);
            double resumes = registry.get("fibril.resumes").tags("path", "same-carrier").functionCounter().count()
                    + registry.get("fibril.completions.inline").functionCounter().count();
            assertTrue(resumes >= 21, "each request resumed its fibril on its carrier, or completed inline");
            assertEquals(0, registry.get("fibril.descriptors.in.use").tags("carrier", "0").gauge().value());
            assertEquals(65_536, registry.get("fibril.descriptors.bound").tags("carrier", "1").gauge().value());
            assertEquals(0, registry.get("fibril.completions.stale").functionCounter().count());
            assertTrue(registry.get("fibril.kernel.calls").functionCounter().count() > 0);
            registry.get("fibril.run.queue.depth").tags("carrier", "1").gauge();
        }
    }

    /**
     * Prometheus prints one HELP line per meter name, taken from whichever tagged meter came first,
     * so a description must hold for every tag value of its name; names follow Micrometer's
     * lower-case, dot-separated convention under {@code fibril.}.
     */
    @Test
    void shouldGiveEveryTagOfAMeterNameTheSameDescription() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (FibrilRuntime rt = Fibril.runtime().carriers(2).backend("simulated").build()) {
            rt.meterBinder().bindTo(registry);
            Map<String, String> descriptions = new HashMap<>();
            for (Meter m : registry.getMeters()) {
                String name = m.getId().getName();
                assertTrue(name.matches("fibril(\\.[a-z]+)+"), "Micrometer naming: " + name);
                String d = m.getId().getDescription();
                assertFalse(d == null || d.isBlank(), name + " has a description");
                String first = descriptions.putIfAbsent(name, d);
                assertEquals(first == null ? d : first, d, name + ": one description for all its tags " + m.getId().getTags());
            }
            assertTrue(descriptions.get("fibril.resumes").contains("same-carrier")
                    && descriptions.get("fibril.resumes").contains("cross-thread"), "the path tag's values are explained");
        }
    }
}
