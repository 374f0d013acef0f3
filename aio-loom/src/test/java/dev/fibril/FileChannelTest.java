/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilFileChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** File channel behaviour on the simulated kernel, from fibrils and from a plain thread. */
class FileChannelTest {
    private FibrilRuntime runtime;

    @BeforeEach
    void start() {
        runtime = Fibril.runtime().carriers(2).backend("simulated").strict(true).build();
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    interface Body {
        void run() throws Exception;
    }

    private void inFibril(Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = runtime.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(30)), "fibril did not finish");
        if (failure.get() != null) {
            throw new AssertionError("fibril failed", failure.get());
        }
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void shouldWriteAndReadBackPositionallyInAFibril() throws Exception {
        inFibril(() -> {
            try (FibrilFileChannel f = runtime.openFile(Path.of("/data/a"), READ, WRITE, CREATE)) {
                assertEquals(5, f.write(ascii("hello"), 0));
                assertEquals(5, f.write(ByteBuffer.allocateDirect(5).put("world".getBytes()).flip(), 10));
                assertEquals(15, f.size());
                ByteBuffer dst = ByteBuffer.allocate(15);
                assertEquals(15, f.read(dst, 0));
                byte[] expected = "hello\0\0\0\0\0world".getBytes(StandardCharsets.US_ASCII);
                assertArrayEquals(expected, dst.array());
                assertEquals(0, f.position(), "positional calls leave the channel position alone");
                assertEquals(-1, f.read(ByteBuffer.allocate(4), 15), "at end of file");
                f.force(true);
                f.force(false);
            }
        });
    }

    @Test
    void shouldTrackPositionForRelativeCallsAndAppend() throws Exception {
        inFibril(() -> {
            try (FibrilFileChannel f = runtime.openFile(Path.of("/data/b"), READ, WRITE, CREATE)) {
                f.write(ascii("abc"));
                f.write(ascii("def"));
                assertEquals(6, f.position());
                f.position(1);
                ByteBuffer dst = ByteBuffer.allocate(3);
                assertEquals(3, f.read(dst));
                assertEquals("bcd", new String(dst.array(), StandardCharsets.US_ASCII));
                f.truncate(2);
                assertEquals(2, f.size());
                assertEquals(2, f.position(), "truncation below the position moves it");
            }
            try (FibrilFileChannel f = runtime.openFile(Path.of("/data/b"), WRITE, APPEND)) {
                f.write(ascii("XY"));
            }
            try (FibrilFileChannel f = runtime.openFile(Path.of("/data/b"), READ)) {
                ByteBuffer dst = ByteBuffer.allocate(8);
                f.read(dst);
                assertEquals("abXY", new String(dst.array(), 0, dst.position(), StandardCharsets.US_ASCII));
            }
        });
    }

    @Test
    void shouldServeCallsFromPlatformThreadsToo() throws Exception {
        try (FibrilFileChannel f = runtime.openFile(Path.of("/data/c"), READ, WRITE, CREATE)) {
            assertEquals(4, f.write(ascii("plat"), 0));
            ByteBuffer dst = ByteBuffer.allocate(4);
            assertEquals(4, f.read(dst, 0));
            assertEquals("plat", new String(dst.array(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void shouldReportKernelErrorsAsErrnoExceptions() throws Exception {
        ErrnoException missing = assertThrows(ErrnoException.class, () -> runtime.openFile(Path.of("/nope"), READ));
        assertEquals(Errno.ENOENT, missing.errno());
        assertEquals("ENOENT", missing.errnoName());
        assertTrue(missing.getMessage().contains("open /nope"), missing.getMessage());
        runtime.openFile(Path.of("/data/d"), WRITE, CREATE).close();
        ErrnoException exists = assertThrows(ErrnoException.class, () -> runtime.openFile(Path.of("/data/d"), WRITE, CREATE_NEW));
        assertEquals(Errno.EEXIST, exists.errno());
        try (FibrilFileChannel f = runtime.openFile(Path.of("/data/d"), WRITE, TRUNCATE_EXISTING)) {
            assertEquals(0, f.size());
        }
    }
}
