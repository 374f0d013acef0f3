/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SplicePipePoolTest {
    /** A backend whose pipe(2) hands out fresh fd numbers (or fails with {@code pipeResult}) and records closes. */
    private static final class FakePipes {
        final Set<Integer> open = new HashSet<>();
        final List<Integer> closed = new ArrayList<>();
        int next = 100;
        int pipeResult = 0;
        final Backend backend = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "pipe" -> {
                        if (pipeResult < 0) {
                            yield pipeResult;
                        }
                        int[] fds = (int[]) args[0];
                        fds[0] = next++;
                        fds[1] = next++;
                        open.add(fds[0]);
                        open.add(fds[1]);
                        yield 0;
                    }
                    case "close" -> {
                        int fd = (Integer) args[0];
                        assertTrue(open.remove(fd), "close of fd " + fd + " that is not open");
                        closed.add(fd);
                        yield 0;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void shouldHandOutOnePipePerChainUpToTheBoundThenNone() {
        FakePipes fake = new FakePipes();
        SplicePipePool pool = new SplicePipePool(fake.backend, 2);
        SplicePipe a = pool.tryAcquire();
        SplicePipe b = pool.tryAcquire();
        assertNotNull(a);
        assertNotNull(b);
        assertNotSame(a, b);
        assertTrue(a.readFd() != b.readFd() && a.writeFd() != b.writeFd(), "two chains never share a pipe");
        assertNull(pool.tryAcquire(), "at the bound: no pipe, the caller sends without one");
        assertEquals(4, pool.openFileDescriptors());
        assertEquals(2, pool.inUse());
    }

    @Test
    void shouldReuseAReleasedPipeAndCloseOnlyTheDiscardedOne() {
        FakePipes fake = new FakePipes();
        SplicePipePool pool = new SplicePipePool(fake.backend, 2);
        SplicePipe clean = pool.tryAcquire();
        SplicePipe dirty = pool.tryAcquire();
        pool.release(clean);
        pool.discard(dirty);
        assertEquals(List.of(102, 103), fake.closed, "only the discarded pipe was closed");
        assertEquals(2, pool.openFileDescriptors());
        assertSame(clean, pool.tryAcquire(), "an empty pipe is reused");
        SplicePipe fresh = pool.tryAcquire();
        assertEquals(104, fresh.readFd(), "a discarded pipe is replaced by a new one");
        assertThrows(IllegalStateException.class, () -> pool.discard(dirty), "given back twice");
    }

    @Test
    void shouldCloseEveryPipeWhenClosedAndNothingAfter() {
        FakePipes fake = new FakePipes();
        SplicePipePool pool = new SplicePipePool(fake.backend, 3);
        SplicePipe free = pool.tryAcquire();
        SplicePipe inUse = pool.tryAcquire();
        pool.release(free);
        pool.closeAll();
        assertTrue(fake.open.isEmpty(), "free and in-use pipes closed: " + fake.open);
        assertEquals(0, pool.openFileDescriptors());
        assertEquals(-1, inUse.readFd());
        pool.release(inUse); // its chain comes back late: nothing is closed twice
        assertEquals(4, fake.closed.size());
        assertNull(pool.tryAcquire(), "no new pipe after closeAll");
    }

    @Test
    void shouldGiveNoPipeWhenTheBackendHasNone() {
        FakePipes fake = new FakePipes();
        fake.pipeResult = -Errno.EMFILE;
        SplicePipePool pool = new SplicePipePool(fake.backend, 2);
        assertNull(pool.tryAcquire(), "pipe(2) failed: send without a pipe");
        fake.pipeResult = 0;
        assertNotNull(pool.tryAcquire(), "EMFILE passes: a later chain gets one");
        fake.pipeResult = -Errno.EOPNOTSUPP;
        SplicePipePool none = new SplicePipePool(fake.backend, 2);
        assertNull(none.tryAcquire());
        fake.pipeResult = 0;
        assertNull(none.tryAcquire(), "a backend without pipes is not asked again");
    }
}
