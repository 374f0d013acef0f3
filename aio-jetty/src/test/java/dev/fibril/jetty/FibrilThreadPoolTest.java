/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The limits, refusals and hand-offs of {@link FibrilThreadPool}, with tasks that block on latches. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FibrilThreadPoolTest {
    private FibrilRuntime runtime;
    private FibrilThreadPool pool;
    /** Blocking tasks wait for this; counted down after each test so that nothing is left parked. */
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger mostRunning = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        runtime = Fibril.runtime().carriers(2).build();
        pool = new FibrilThreadPool(runtime);
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        try {
            pool.stop();
        } finally {
            runtime.close();
        }
    }

    /** A task that counts itself running, parks until {@link #release}, and counts itself finished. */
    private Runnable blocking() {
        return () -> {
            mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                running.decrementAndGet();
                finished.incrementAndGet();
            }
        };
    }

    @Test
    void shouldNeverRunMoreThanMaxThreadsAndQueueTheRest() throws Exception {
        pool.setMaxThreads(4);
        pool.setReservedThreads(0);
        pool.start();
        for (int i = 0; i < 10; i++) {
            pool.execute(blocking());
        }
        await().untilAsserted(() -> {
            assertEquals(4, running.get(), "tasks running");
            assertEquals(4, pool.getThreads());
            assertEquals(6, pool.getQueueSize());
        });
        release.countDown();
        await().until(() -> finished.get() == 10);
        await().until(() -> pool.getThreads() == 0);
        assertEquals(4, mostRunning.get(), "never more than maxThreads at once");
        assertEquals(0, pool.getQueueSize());
        assertEquals(10, pool.getCompletedTasks());
    }

    @Test
    void shouldNotHandAnInterruptStatusLeftByOneTaskToTheNextOnTheSameFibril() throws Exception {
        pool.setMaxThreads(1);
        pool.setReservedThreads(0);
        pool.start();
        CountDownLatch firstRunning = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Thread> firstThread = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<String> second = new java.util.concurrent.atomic.AtomicReference<>();
        pool.execute(() -> {
            firstThread.set(Thread.currentThread());
            firstRunning.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Thread.currentThread().interrupt(); // as a handler that restores an interrupt it caught
        });
        firstRunning.await();
        pool.execute(() -> second.set((Thread.currentThread() == firstThread.get()) + " " + Thread.currentThread().isInterrupted()));
        release.countDown();
        await().until(() -> second.get() != null);
        assertEquals("true false", second.get(), "queued task ran on the same fibril, with no interrupt status");
    }

    @Test
    void shouldKeepReservedSlotsForTryExecute() throws Exception {
        pool.setMaxThreads(3);
        pool.setReservedThreads(1);
        pool.start();
        pool.execute(blocking());
        pool.execute(blocking());
        pool.execute(blocking()); // the third waits: the last slot is kept for tryExecute
        await().untilAsserted(() -> {
            assertEquals(2, pool.getThreads());
            assertEquals(1, pool.getQueueSize());
        });
        assertTrue(pool.isLowOnThreads(), "only the reserve is left");
        assertTrue(pool.tryExecute(blocking()), "tryExecute may take the reserved slot");
        await().until(() -> running.get() == 3);
        assertFalse(pool.tryExecute(blocking()), "no slot left");
        assertEquals(1, pool.getQueueSize(), "a refused tryExecute never queues");
    }

    @Test
    void shouldRunWhatExecuteIsGivenWithOneSlot() throws Exception {
        pool.setMaxThreads(1); // the default reserve (1%, at least 1) would have left execute no slot
        pool.start();
        assertEquals(0, pool.getReservedThreads());
        CountDownLatch ran = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            pool.execute(ran::countDown);
        }
        assertTrue(ran.await(30, TimeUnit.SECONDS), "tasks given to execute ran: " + ran.getCount() + " left");
    }

    @Test
    void shouldRefuseToStartAServerConnectorThatWouldHoldEverySlot() throws Exception {
        pool.setMaxThreads(2);
        Server server = new Server(pool);
        ServerConnector connector = new ServerConnector(server, 1, 1); // an acceptor and a selector: both slots, for good
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        try {
            Exception e = assertThrows(Exception.class, server::start);
            Throwable cause = e;
            while (!(cause instanceof IllegalStateException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            assertTrue(String.valueOf(cause.getMessage()).contains("Insufficient configured threads"), "refused with: " + e);
        } finally {
            server.stop();
        }
    }

    @Test
    void shouldRefuseTryExecuteWhenFullAndNeverQueue() throws Exception {
        pool.setMaxThreads(2);
        pool.start();
        assertTrue(pool.tryExecute(blocking()));
        assertTrue(pool.tryExecute(blocking()));
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 5; i++) {
            assertFalse(pool.tryExecute(ran::incrementAndGet), "the pool is full");
        }
        assertEquals(0, pool.getQueueSize());
        release.countDown();
        await().until(() -> pool.getThreads() == 0);
        assertEquals(0, ran.get(), "refused tasks never run later");
    }

    @Test
    void shouldRejectWithAReasonWhenTheQueueIsFull() throws Exception {
        pool.setMaxThreads(1);
        pool.setReservedThreads(0);
        pool.setMaxQueued(2);
        pool.start();
        pool.execute(blocking());
        pool.execute(blocking());
        pool.execute(blocking());
        RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> pool.execute(blocking()));
        assertTrue(e.getMessage().contains("maxQueued"), e.getMessage());
        assertEquals(2, pool.getQueueSize());
        assertEquals(1, pool.getRejectedTasks());
        release.countDown();
        await().until(() -> finished.get() == 3);
    }

    /**
     * A queued task meets a free slot while the runtime refuses new fibrils: the state that
     * {@code execute} and a finishing task's drain reach when they race with the runtime's close.
     * The task must not vanish: it stays queued and then runs or is closed, exactly once.
     */
    @Test
    void shouldKeepAQueuedTaskWhoseStartTheRuntimeRefused() throws Exception {
        pool.setMaxThreads(1);
        pool.setReservedThreads(0);
        pool.start();
        pool.execute(blocking());
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        pool.execute(new CloseableTask(ran, closed));
        assertEquals(1, pool.getQueueSize());
        pool.setMaxThreads(2); // a free slot, and the task still queued
        Thread closer = Thread.ofPlatform().start(() -> runtime.close(java.time.Duration.ofSeconds(30)));
        await().until(() -> refusesFibrils(runtime));
        try {
            pool.drain();
        } catch (RejectedExecutionException e) {
            // the refusal may be reported; the task must not be lost with it
        }
        assertEquals(1, pool.getQueueSize(), "the refused task is still queued");
        release.countDown();
        closer.join();
        pool.stop();
        assertEquals(1, ran.get() + closed.get(), "ran " + ran.get() + ", closed " + closed.get());
    }

    private static boolean refusesFibrils(FibrilRuntime rt) {
        try {
            rt.start(() -> { });
            return false;
        } catch (RejectedExecutionException e) {
            return true;
        }
    }

    /** A task that says whether it ran or was closed (dropped) by the pool. */
    private record CloseableTask(AtomicInteger ran, AtomicInteger closed) implements Runnable, java.io.Closeable {
        @Override
        public void run() {
            ran.incrementAndGet();
        }

        @Override
        public void close() {
            closed.incrementAndGet();
        }
    }

    @Test
    void shouldRejectAfterStop() throws Exception {
        pool.start();
        pool.stop();
        RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> { }));
        assertTrue(e.getMessage().contains("STOPPED"), e.getMessage());
        assertFalse(pool.tryExecute(() -> { }));
    }

    @Test
    void shouldRunTasksOnFibrils() throws Exception {
        pool.start();
        AtomicReference<Boolean> onFibril = new AtomicReference<>();
        pool.execute(() -> onFibril.set(Fibril.isFibril() && Thread.currentThread().isVirtual()));
        await().until(() -> onFibril.get() != null);
        assertTrue(onFibril.get(), "a task of the pool runs on a Fibril virtual thread");
        assertFalse(Fibril.isFibril(), "the test thread is not one");
    }

    @Test
    void shouldRunAQueuedThreadPoolsBlockingHandlersOnFibrils() throws Exception {
        pool.start();
        QueuedThreadPool qtp = new QueuedThreadPool();
        qtp.setVirtualThreadsExecutor(pool);
        assertSame(pool, qtp.getVirtualThreadsExecutor());
        Server server = new Server(qtp);
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() { // blocking: Jetty hands it to the virtual-threads executor
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                byte[] body = ("fibril=" + Fibril.isFibril()).getBytes(StandardCharsets.US_ASCII);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.write(true, java.nio.ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        HttpClient client = new HttpClient();
        server.start();
        client.start();
        try {
            ContentResponse r = client.newRequest("127.0.0.1", connector.getLocalPort()).path("/")
                    .timeout(20, TimeUnit.SECONDS).send();
            assertEquals(200, r.getStatus());
            assertEquals("fibril=true", r.getContentAsString());
        } finally {
            client.stop();
            server.stop();
        }
    }

    @Test
    void shouldDumpRunningAndQueuedCounts() throws Exception {
        pool.setMaxThreads(1);
        pool.setReservedThreads(0);
        pool.start();
        pool.execute(blocking());
        pool.execute(blocking());
        pool.execute(blocking());
        await().until(() -> running.get() == 1 && pool.getQueueSize() == 2);
        String dump = pool.dump();
        assertTrue(dump.contains("running=1/1"), dump);
        assertTrue(dump.contains("queued=2/"), dump);
        assertTrue(dump.contains("backend=" + runtime.backendName()), dump);
    }
}
