/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

import dev.fibril.internal.jdk.VirtualThreadBridge;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FibrilSchedulingTest {
    private FibrilRuntime runtime;

    @BeforeEach
    void start() {
        runtime = Fibril.runtime().carriers(2).backend("simulated").strict(true).build();
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    private <T> T inFibril(Callable<T> body) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = runtime.start(() -> {
            try {
                result.set(body.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(30)), "fibril did not finish");
        if (failure.get() != null) {
            throw new AssertionError("fibril failed", failure.get());
        }
        return result.get();
    }

    private static String carrierName() {
        return VirtualThreadBridge.carrierOf(Thread.currentThread()).getName();
    }

    @Test
    void shouldRunFibrilsAsVirtualThreadsOnFibrilCarriers() throws Exception {
        String carrier = inFibril(() -> {
            assertTrue(Thread.currentThread().isVirtual());
            assertTrue(Fibril.isFibril());
            return carrierName();
        });
        assertTrue(carrier.startsWith("fibril-carrier-"), carrier);
    }

    @Test
    void shouldResumeOnFibrilCarrierAfterSynchronizedLockAndSleep() throws Exception {
        Object monitor = new Object();
        ReentrantLock lock = new ReentrantLock();
        AtomicInteger counter = new AtomicInteger();
        CountDownLatch bothInside = new CountDownLatch(2);
        List<String> carriersAfter = new CopyOnWriteArrayList<>();
        List<Thread> fibrils = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            fibrils.add(runtime.start(() -> {
                try {
                    synchronized (monitor) {
                        counter.incrementAndGet();
                    }
                    lock.lock();
                    try {
                        counter.incrementAndGet();
                    } finally {
                        lock.unlock();
                    }
                    bothInside.countDown();
                    bothInside.await(); // a JDK park/unpark across fibrils
                    Thread.sleep(5);    // the JDK's own timer wakes us: a cross-thread resume
                    carriersAfter.add(carrierName());
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (Thread t : fibrils) {
            assertTrue(t.join(Duration.ofSeconds(30)));
        }
        assertEquals(4, counter.get());
        assertEquals(2, carriersAfter.size());
        carriersAfter.forEach(name -> assertTrue(name.startsWith("fibril-carrier-"), name));
        assertTrue(runtime.stats().crossThreadResumes() > 0, "Thread.sleep wake-ups come from the JDK timer thread");
    }

    @Test
    void shouldDoJdkLoopbackSocketIoInsideAFibril() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String echoed = inFibril(() -> {
                Thread acceptor = runtime.start(() -> {
                    try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        out.write(in.readNBytes(5));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                    s.getOutputStream().write("hello".getBytes());
                    String reply = new String(s.getInputStream().readNBytes(5));
                    acceptor.join();
                    return reply + "@" + carrierName();
                }
            });
            assertTrue(echoed.startsWith("hello@fibril-carrier-"), echoed);
        }
    }

    @Test
    void shouldCountSameCarrierResumesForOwnCompletions() throws Exception {
        inFibril(() -> {
            for (int i = 0; i < 20; i++) {
                Fibril.sleep(Duration.ofMillis(1)); // long enough to park: the timer is not due at submit
            }
            return null;
        });
        RuntimeStats stats = runtime.stats();
        assertEquals(20, stats.parks() + stats.inlineCompletions(), "each sleep parks, or finds its timer already due: " + stats);
        assertTrue(stats.sameCarrierResumes() >= stats.parks(), "every park is resumed by the fibril's own carrier: " + stats);
        assertTrue(stats.crossThreadResumes() <= 1, "only the start comes from another thread: " + stats);
        assertEquals(0, stats.descriptorsInUse());
    }

    @Test
    void shouldRunExecutorTasksInFibrils() throws Exception {
        ExecutorService executor = runtime.executor();
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            results.add(executor.submit(() -> Thread.currentThread().isVirtual() && Fibril.isFibril()));
        }
        for (Future<Boolean> f : results) {
            assertTrue(f.get(30, TimeUnit.SECONDS));
        }
        Thread unstarted = runtime.threadFactory().newThread(() -> { });
        assertTrue(unstarted.isVirtual());
        unstarted.start();
        assertTrue(unstarted.join(Duration.ofSeconds(30)));
        await().until(() -> runtime.stats().fibrilsAlive() == 0);
    }

    @Test
    void shouldRejectWorkAfterClose() {
        runtime.close();
        RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> runtime.start(() -> { }));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(RejectedExecutionException.class, () -> runtime.executor().submit(() -> { }));
        assertNull(runtime.threadFactory().newThread(() -> { }));
        assertThrows(NullPointerException.class, () -> runtime.start(null));
    }

    @Test
    void shouldInheritFibrilSchedulerForThreadOfVirtualInsideAFibril() throws Exception {
        String carrier = inFibril(() -> {
            AtomicReference<String> child = new AtomicReference<>();
            Thread t = Thread.ofVirtual().start(() -> child.set(carrierName()));
            t.join();
            return child.get();
        });
        assertTrue(carrier.startsWith("fibril-carrier-"), carrier);
    }
}
