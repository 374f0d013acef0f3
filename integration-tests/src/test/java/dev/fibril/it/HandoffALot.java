/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.RuntimeStats;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.syscall.sim.Latency;
import dev.fibril.syscall.sim.SimulatedKernel;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hand-off under churn: 10,000 fibrils on two carriers do file and socket I/O on the simulated
 * kernel with every fault kind on, while some of them, chosen by a seeded random, hold their
 * carrier's thread for a while between two rounds of I/O: a CPU loop, or a park while pinned in a
 * class initializer (on a Fibril timer, or on a latch that other fibrils' calls count down). Each
 * hold waits for something only other fibrils can do, so the run ends only if held carriers are
 * handed on. Every fibril ends exactly once, every call returns or throws exactly once, every
 * submission completes once, no descriptor or fd is left, and {@code close()} ends every carrier
 * and spare thread.
 */
@Tag("slow")
class HandoffALot {
    private static final int FIBRILS = Integer.getInteger("handoff.fibrils", 10_000);
    private static final long SEED = Long.getLong("handoff.seed", 20261202L);
    private static final int ROUNDS = 3;
    /** Holds at once: below the spare bound, so a held carrier can always get a thread. */
    private static final int MAX_HOLDING = 4;
    private static final int MAX_SPARES = 8;
    /** No fibril ending for this long means the run is stuck (a carrier held and not handed on). */
    private static final Duration STALL = Duration.ofSeconds(60);
    private static final Pattern RUNTIME_THREAD = Pattern.compile("fibril-(carrier|spare)-.+");

    enum Hold { NONE, SPIN, PINNED_SLEEP, PINNED_LATCH }

    private final AtomicLong callsStarted = new AtomicLong();
    private final AtomicLong callsEnded = new AtomicLong();
    private final Map<String, AtomicLong> surfaced = new ConcurrentHashMap<>();
    private final Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    private final AtomicIntegerArray ended = new AtomicIntegerArray(FIBRILS);
    private final AtomicInteger workersLeft = new AtomicInteger(FIBRILS);
    private final AtomicInteger holdingNow = new AtomicInteger();
    private final Semaphore holders = new Semaphore(MAX_HOLDING);
    private final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final Map<Hold, AtomicLong> holds = new EnumMap<>(Hold.class);
    private final AtomicLong holdsSkipped = new AtomicLong();

    private Hold[] hold;
    private int[] holdAfterRound;
    private int[] holdAmount;

    /** A pinned fibril waiting until {@code target} calls have ended, or no other worker is left. */
    private record Waiter(long target, CountDownLatch latch) {
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldCompleteEveryCallExactlyOnceWhileFibrilsHoldTheirCarriersAtRandom() throws Exception {
        plan(new Random(SEED));
        SimulatedKernel sim = SimulatedKernel.builder().seed(SEED)
                .latency(Latency.uniform(0, 20_000))
                .maxFaultDelay(Duration.ofMillis(2))
                .faults(0.01)
                .build();
        Set<Thread> before = runtimeThreads();
        Set<Thread> ours;
        FibrilRuntime rt = Fibril.runtime().carriers(2).backend(sim).strict(true)
                .handoffThreshold(Duration.ofMillis(1)).maxSpareThreads(MAX_SPARES).build();
        try {
            int fdsBefore = sim.openDescriptors();
            FibrilServerSocketChannel server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 1024);
            Thread acceptor = rt.start(() -> echoServer(rt, server));
            Semaphore connections = new Semaphore(256); // under the backlog: no ECONNREFUSED by design
            for (int i = 0; i < FIBRILS; i++) {
                int id = i;
                rt.start(() -> worker(rt, server, connections, id));
            }
            awaitEveryWorker(rt);
            server.close();
            assertTrue(acceptor.join(Duration.ofSeconds(60)), "the acceptor ended");
            await().atMost(1, TimeUnit.MINUTES).until(() -> rt.stats().fibrilsAlive() == 0);

            if (!unexpected.isEmpty()) {
                AssertionError e = new AssertionError(unexpected.size() + " unexpected failures; first attached");
                e.initCause(unexpected.peek());
                throw e;
            }
            for (int id = 0; id < FIBRILS; id++) {
                assertEquals(1, ended.get(id), "fibril " + id + " ended exactly once");
            }
            RuntimeStats stats = rt.stats();
            System.out.println("[handoff] holds " + holds + ", skipped (" + MAX_HOLDING + " already holding) "
                    + holdsSkipped + ", errors surfaced " + surfaced + ", " + stats);
            assertEquals(callsStarted.get(), callsEnded.get(), "every call returned or threw exactly once");
            assertEquals(stats.submissions(), stats.completions() + stats.retries(),
                    () -> "each submission completes exactly once, finally or as a retried EINTR/EAGAIN: " + stats);
            assertEquals(0, stats.staleCompletions(), () -> "stale completions: " + stats);
            assertTrue(holds.get(Hold.PINNED_SLEEP).get() > 0, "some fibrils slept pinned: " + holds);
            assertTrue(stats.handoffs() >= 1, () -> "a pinned sleep ends only on a handed-off carrier: " + stats);
            assertEquals(0, stats.descriptorsInUse(), () -> "descriptors leaked: " + stats);
            await().atMost(30, TimeUnit.SECONDS).until(() -> sim.openDescriptors() == fdsBefore);
            ours = runtimeThreads();
            ours.removeAll(before);
        } finally {
            rt.close();
        }
        assertTrue(ours.stream().anyMatch(t -> t.getName().startsWith("fibril-carrier-")), "found the carrier threads: " + ours);
        try {
            await().atMost(30, TimeUnit.SECONDS).until(() -> {
                Set<Thread> now = runtimeThreads();
                now.removeAll(before);
                return now.isEmpty() && ours.stream().noneMatch(Thread::isAlive);
            });
        } catch (ConditionTimeoutException e) {
            Set<Thread> now = runtimeThreads();
            now.removeAll(before);
            now.addAll(ours.stream().filter(Thread::isAlive).toList());
            throw new AssertionError("threads of the closed runtime still alive: " + now.stream()
                    .map(t -> t.getName() + " " + t.getState() + CarrierHandoffContractTest.stackOf(t))
                    .collect(Collectors.joining("\n")), e);
        }
    }

    /** Decides up front, from the seed, which fibrils hold their carrier, how, and after which round. */
    private void plan(Random random) {
        hold = new Hold[FIBRILS];
        holdAfterRound = new int[FIBRILS];
        holdAmount = new int[FIBRILS];
        for (Hold h : Hold.values()) {
            holds.put(h, new AtomicLong());
        }
        for (int id = 0; id < FIBRILS; id++) {
            double p = random.nextDouble();
            hold[id] = p < 0.03 ? Hold.SPIN : p < 0.06 ? Hold.PINNED_SLEEP : p < 0.09 ? Hold.PINNED_LATCH : Hold.NONE;
            holdAfterRound[id] = random.nextInt(ROUNDS);
            // calls to wait for (SPIN, PINNED_LATCH), or milliseconds to sleep (PINNED_SLEEP)
            holdAmount[id] = hold[id] == Hold.PINNED_SLEEP ? 1 + random.nextInt(3) : 1 + random.nextInt(200);
        }
    }

    /** Waits for every worker to end; fails when none ends for {@link #STALL}. */
    private void awaitEveryWorker(FibrilRuntime rt) {
        while (true) {
            int left = workersLeft.get();
            if (left == 0) {
                return;
            }
            try {
                await().atMost(STALL).until(() -> workersLeft.get() != left);
            } catch (ConditionTimeoutException e) {
                AssertionError stuck = new AssertionError("no fibril ended for " + STALL.toSeconds() + " s: " + left + " of "
                        + FIBRILS + " left, " + holdingNow.get() + " holding their carrier; " + rt.stats());
                unexpected.forEach(stuck::addSuppressed);
                throw stuck;
            }
        }
    }

    private void worker(FibrilRuntime rt, FibrilServerSocketChannel server, Semaphore connections, int id) {
        try {
            if (id % 5 == 0) {
                connections.acquire();
                try {
                    socketWork(rt, server.localAddress(), id);
                } finally {
                    connections.release();
                }
            } else {
                fileWork(rt, id);
            }
            ended.incrementAndGet(id);
        } catch (Throwable e) {
            unexpected.add(e);
        } finally {
            workersLeft.decrementAndGet();
            releaseWaiters();
        }
    }

    private void fileWork(FibrilRuntime rt, int id) throws Exception {
        try (FibrilFileChannel f = rt.openFile(Path.of("/handoff/" + (id % 16)), READ, WRITE, CREATE)) {
            ByteBuffer out = ByteBuffer.allocate(64);
            ByteBuffer in = ByteBuffer.allocate(64);
            for (int r = 0; r < ROUNDS; r++) {
                long at = ((long) id * ROUNDS + r) * 64;
                fill(out.clear(), id, r);
                out.flip();
                while (call(() -> f.write(out.rewind(), at)) == null) {
                    // an injected EIO wrote nothing: write again
                }
                in.clear();
                while (in.hasRemaining()) {
                    Integer n = call(() -> f.read(in, at + in.position()));
                    if (n != null && n < 0) {
                        throw new AssertionError("fibril " + id + ": unexpected end of file");
                    }
                }
                if (!in.flip().equals(out.rewind())) {
                    throw new AssertionError("fibril " + id + " round " + r + ": data differs");
                }
                maybeHold(id, r);
            }
        }
    }

    private void socketWork(FibrilRuntime rt, InetSocketAddress address, int id) throws Exception {
        try (FibrilSocketChannel s = rt.openSocket()) {
            if (call(() -> {
                s.connect(address);
                return 0;
            }) == null) {
                return;
            }
            ByteBuffer out = ByteBuffer.allocate(128);
            ByteBuffer in = ByteBuffer.allocate(128);
            for (int r = 0; r < ROUNDS; r++) {
                fill(out.clear(), id, r);
                out.flip();
                if (call(() -> s.write(out)) == null) {
                    return; // connection reset: the stream is no longer trustworthy
                }
                in.clear();
                while (in.hasRemaining()) {
                    Integer n = call(() -> s.read(in));
                    if (n == null || n < 0) {
                        return; // reset here or on the echo side
                    }
                }
                if (!in.flip().equals(out.rewind())) {
                    throw new AssertionError("client " + id + " round " + r + ": echo differs");
                }
                maybeHold(id, r);
            }
        }
    }

    private void echoServer(FibrilRuntime rt, FibrilServerSocketChannel server) {
        while (true) {
            FibrilSocketChannel s;
            try {
                s = server.accept();
            } catch (ErrnoException e) {
                surfaced.computeIfAbsent(e.errnoName(), k -> new AtomicLong()).incrementAndGet();
                continue;
            } catch (Exception closed) {
                return;
            }
            rt.start(() -> {
                try (s) {
                    ByteBuffer buf = ByteBuffer.allocate(256);
                    while (true) {
                        Integer n = call(() -> s.read(buf.clear()));
                        if (n == null || n < 0) {
                            return;
                        }
                        buf.flip();
                        if (call(() -> s.write(buf)) == null) {
                            return;
                        }
                    }
                } catch (Exception e) {
                    unexpected.add(e);
                }
            });
        }
    }

    /** After its planned round, holds the carrier's thread the planned way, unless {@link #MAX_HOLDING} already do. */
    private void maybeHold(int id, int round) throws Exception {
        Hold h = hold[id];
        if (h == Hold.NONE || round != holdAfterRound[id]) {
            return;
        }
        if (!holders.tryAcquire()) {
            holdsSkipped.incrementAndGet();
            return;
        }
        holdingNow.incrementAndGet();
        try {
            int amount = holdAmount[id];
            switch (h) {
                case SPIN -> {
                    long target = callsEnded.get() + amount;
                    while (callsEnded.get() < target && othersAreLeft()) {
                        Thread.onSpinWait();
                    }
                }
                case PINNED_SLEEP -> PinnedInitializer.run(() -> Fibril.sleep(Duration.ofMillis(amount)));
                case PINNED_LATCH -> PinnedInitializer.run(() -> {
                    Waiter w = new Waiter(callsEnded.get() + amount, new CountDownLatch(1));
                    waiters.add(w);
                    releaseWaiters(); // the target may be reached already
                    w.latch().await(); // pinned: the thread waits with the fibril
                });
                default -> throw new AssertionError(h);
            }
            holds.get(h).incrementAndGet();
        } finally {
            holdingNow.decrementAndGet();
            holders.release();
            releaseWaiters();
        }
    }

    /** Whether some worker that does not hold its carrier now is still running: progress may still come. */
    private boolean othersAreLeft() {
        return workersLeft.get() > holdingNow.get();
    }

    /** Counts down the latch of each waiter whose target was reached, or all when no other worker is left. */
    private void releaseWaiters() {
        if (waiters.isEmpty()) {
            return;
        }
        boolean alone = !othersAreLeft();
        long now = callsEnded.get();
        waiters.removeIf(w -> {
            if (alone || now >= w.target()) {
                w.latch().countDown();
                return true;
            }
            return false;
        });
    }

    /** Runs one call, counting it in and out; returns null when it failed with an errno exception. */
    private <T> T call(Callable<T> io) throws Exception {
        callsStarted.incrementAndGet();
        try {
            return io.call();
        } catch (ErrnoException e) {
            surfaced.computeIfAbsent(e.errnoName(), k -> new AtomicLong()).incrementAndGet();
            return null;
        } finally {
            callsEnded.incrementAndGet();
            releaseWaiters();
        }
    }

    private static void fill(ByteBuffer b, int id, int r) {
        while (b.hasRemaining()) {
            b.put((byte) (id * 31 + r * 7 + b.position()));
        }
    }

    /** Live platform threads named as a runtime's carriers and spares ({@code fibril-carrier-...}, {@code fibril-spare-...}). */
    private static Set<Thread> runtimeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> RUNTIME_THREAD.matcher(t.getName()).matches())
                .collect(Collectors.toSet());
    }
}
