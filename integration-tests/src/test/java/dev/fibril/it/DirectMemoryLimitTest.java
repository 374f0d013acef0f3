/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.syscall.uring.IoUringBackend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.nio.file.StandardOpenOption.READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An application that keeps the JDK's direct memory at its limit ({@code -XX:MaxDirectMemorySize})
 * does not stall the runtime: its own allocations there wait for the collector (inside
 * {@code java.nio.Bits.reserveMemory}, a monitor wait that unmounts the fibril), while the runtime
 * takes the native memory it needs on a carrier (bounce buffers for heap-buffer calls, more
 * in-flight slots) without that wait. Were it to wait in a carrier's section, the pinned fibril
 * would hold the carrier's thread, and the fibril the wait is for could need that thread to run:
 * both carriers stuck for good (how this was found: {@code BadCallsALot}'s 8 MiB direct buffers
 * beside its holders' heap-buffer reads). Run in a child JVM with a small limit.
 */
@Tag("slow")
class DirectMemoryLimitTest {
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void shouldServeHeapBufferCallsWhileTheApplicationHoldsDirectMemoryAtItsLimit(String backend) throws Exception {
        assumeTrue(!backend.equals("io_uring") || IoUringBackend.probe().available(),
                () -> "io_uring cannot run here: " + IoUringBackend.probe().reason());
        ChildJvm.Result result = ChildJvm.run(Child.class, List.of("--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "-XX:MaxDirectMemorySize=48m", "-Xmx512m"), backend);
        assertEquals(0, result.exitCode(), result.output());
    }

    /** Hogs take 8 MiB direct buffers over and over; readers read a file into heap buffers meanwhile. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path file = Files.createTempFile("fibril-direct-limit", ".bin");
            Files.write(file, new byte[64 * 1024]);
            try (FibrilRuntime rt = Fibril.runtime().carriers(2).backend(args[0]).strict(true).build()) {
                List<Thread> fibrils = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    fibrils.add(rt.start(() -> {
                        for (int n = 0; n < 120; n++) {
                            ByteBuffer.allocateDirect(8 << 20).put(0, (byte) n); // 8 MiB, dropped at once
                        }
                    }));
                }
                for (int i = 0; i < 64; i++) {
                    fibrils.add(rt.start(() -> {
                        try (FibrilFileChannel f = rt.openFile(file, READ)) {
                            ByteBuffer heap = ByteBuffer.allocate(64 * 1024);
                            for (int n = 0; n < 120; n++) {
                                heap.clear();
                                if (f.read(heap, 0) != heap.capacity()) {
                                    throw new AssertionError("short read");
                                }
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }));
                }
                for (Thread t : fibrils) {
                    if (!t.join(Duration.ofSeconds(90))) {
                        System.out.println(StuckReport.of(rt, t));
                        System.out.flush();
                        Runtime.getRuntime().halt(3);
                    }
                }
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }
}
