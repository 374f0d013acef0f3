package dev.fibril;

import dev.fibril.aio.FibrilFileChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
            assertEquals(4096, registry.get("fibril.descriptors.bound").tags("carrier", "1").gauge().value());
            assertEquals(0, registry.get("fibril.completions.stale").functionCounter().count());
            assertTrue(registry.get("fibril.kernel.calls").functionCounter().count() > 0);
            registry.get("fibril.run.queue.depth").tags("carrier", "1").gauge();
        }
    }
}
