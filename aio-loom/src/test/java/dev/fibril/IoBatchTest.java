/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.IoBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The submit-many / await-completions interface on the same descriptors as blocking calls. */
class IoBatchTest {
    private FibrilRuntime runtime;

    @BeforeEach
    void start() {
        runtime = Fibril.runtime().carriers(1).backend("simulated").strict(true).build();
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    @Test
    void shouldReportEachCompletionOnceWithItsTagAndAdvanceBuffers() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Map<Long, Integer> results = new HashMap<>();
        ByteBuffer[] targets = new ByteBuffer[32];
        Thread t = runtime.start(() -> {
            try (FibrilFileChannel f = runtime.openFile(Path.of("/batch"), READ, WRITE, CREATE);
                 IoBatch batch = runtime.newBatch()) {
                for (int i = 0; i < 32; i++) {
                    batch.write(f, ByteBuffer.wrap(new byte[] {(byte) i, (byte) (i + 1)}), i * 2L, 1000 + i);
                }
                batch.nop(5000);
                assertEquals(33, batch.submit());
                long kernelCallsBefore = runtime.stats().kernelCalls();
                int seen = 0;
                while (seen < 33) {
                    seen += batch.await(1, (tag, result) -> results.merge(tag, result, (a, b) -> -999));
                }
                assertEquals(0, batch.outstanding());
                for (int i = 0; i < 32; i++) {
                    targets[i] = ByteBuffer.allocate(2);
                    batch.read(f, targets[i], i * 2L, i);
                }
                batch.fsync(f, 6000);
                batch.submit();
                assertEquals(33, batch.await(33, (tag, result) -> results.merge(tag, result, (a, b) -> -999)));
                assertTrue(runtime.stats().kernelCalls() - kernelCallsBefore <= 3, "one submit is one flush");
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(30)));
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(66, results.size(), "every tag reported exactly once");
        for (int i = 0; i < 32; i++) {
            assertEquals(2, results.get(1000L + i), "write " + i);
            assertEquals(2, results.get((long) i), "read " + i);
            assertEquals(2, targets[i].position(), "the read advanced its buffer");
            assertEquals((byte) i, targets[i].get(0));
            assertEquals((byte) (i + 1), targets[i].get(1));
        }
        assertEquals(0, results.get(5000L));
        assertEquals(0, results.get(6000L));
        assertEquals(0, runtime.stats().descriptorsInUse());
    }

    @Test
    void shouldReportErrorsAsNegativeErrno() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Integer> result = new AtomicReference<>();
        Thread t = runtime.start(() -> {
            try (IoBatch batch = runtime.newBatch()) {
                FibrilFileChannel f = runtime.openFile(Path.of("/batch-eof"), READ, WRITE, CREATE);
                batch.read(f, ByteBuffer.allocate(4), 100, 1);
                batch.submit();
                batch.await(1, (tag, r) -> result.set(r));
                f.close();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(30)));
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(0, result.get(), "a read past the end of file completes with 0");
    }

    @Test
    void shouldReleaseTheDescriptorAndSetThePositionFromTheRequestWhenTheCallerMovedTheBuffer() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int[] reported = {-1};
        int[] position = {-1};
        Thread t = runtime.start(() -> {
            try (FibrilFileChannel file = runtime.openFile(Path.of("/moved"), READ, WRITE, CREATE);
                 IoBatch batch = runtime.newBatch()) {
                file.write(ByteBuffer.wrap(new byte[100]), 0);
                ByteBuffer dst = ByteBuffer.allocate(64);
                dst.position(8);
                batch.read(file, dst, 0, 1);
                batch.submit();
                dst.position(64); // the caller moves the buffer while the read is outstanding
                batch.await(1, (tag, result) -> reported[0] = result);
                position[0] = dst.position();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join(Duration.ofSeconds(30));
        assertEquals(null, failure.get());
        assertEquals(56, reported[0], "the completion is reported");
        assertEquals(64, position[0], "the position is where the request started plus the bytes read");
        assertEquals(0, runtime.stats().descriptorsInUse(), "no descriptor is lost");
    }
}
