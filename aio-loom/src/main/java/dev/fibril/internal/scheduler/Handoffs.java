/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that drive a runtime's carriers, and the monitor that hands a held carrier to a
 * spare one, as the kernel ran a task's other fibrils on another thread when one blocked, and as
 * Go's monitor retakes a processor from a thread stuck in a system call.
 *
 * <p>The monitor wakes every half threshold while some carrier is busy, and sleeps for good when
 * every carrier sleeps in its ring (the first carrier to wake wakes it). A carrier whose thread
 * has been running the same fibril (same {@link Ownership} word, same tick) for the threshold,
 * while other work waits for it, is handed off: the monitor takes a spare (an idle one, or a new
 * one while fewer than the bound exist), moves the word with its CAS, and gives the spare the next
 * epoch. The held thread keeps running its fibril; when that parks or ends, the thread finds the
 * carrier gone and joins the spares. Idle spares retire after {@link #KEEP_ALIVE_NANOS}.
 *
 * <p>Before it hands a carrier off, the monitor asks the kernel what the thread did with its time
 * ({@link ThreadSchedule}: its CPU time at the first look past the threshold, its state and CPU
 * time at the next ones): a thread that ran, or slept in a call, holds its carrier; a runnable one
 * that did not run was preempted on a busy machine, and is left alone, as another thread would
 * wait for a CPU as well. A
 * hand-off therefore comes one look (half a threshold) after the threshold, not at it.
 *
 * <p>A carrier seen inside one section (a runtime call, phase CALL) for
 * {@link #STUCK_SECTION_NANOS} while work waits cannot be handed off: that is a wait the runtime
 * must never make, and the monitor logs where it waits (once per place) and counts it.
 */
public final class Handoffs {
    private static final System.Logger LOG = System.getLogger("dev.fibril");
    private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long MIN_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long UNSEEN = Long.MIN_VALUE;
    /** A section seen stuck and reported: not again until the carrier moves on. */
    private static final long REPORTED = Long.MIN_VALUE + 1;
    /** A runtime call (a section) that holds its carrier this long while work waits is reported. */
    static final long STUCK_SECTION_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final List<GarbageCollectorMXBean> GC_BEANS = ManagementFactory.getGarbageCollectorMXBeans();

    private final long thresholdNanos;
    private final int maxSpares;
    private final ConcurrentLinkedDeque<DriverThread> idleSpares = new ConcurrentLinkedDeque<>();
    private final Set<DriverThread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger spareNames = new AtomicInteger();
    private final AtomicLong handoffs = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong stuckSections = new AtomicLong();
    private final HandoffReports reports = new HandoffReports();
    /** Runs the reports, one at a time; past a backlog of 64 a report is dropped (the count still counts). */
    private final ThreadPoolExecutor reporter = new ThreadPoolExecutor(1, 1, 5, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(64), Thread.ofPlatform().daemon().name("fibril-handoff-report").factory(),
            new ThreadPoolExecutor.DiscardPolicy());
    private List<Carrier> carriers = List.of();
    private CarrierGroup group;
    private Thread monitor;
    private volatile boolean monitorParked;
    /** Times the monitor woke to look at the carriers (written by the monitor only). */
    private volatile long monitorLooks;
    private volatile boolean shutdown;

    Handoffs(Duration threshold, int maxSpares) {
        this.thresholdNanos = threshold.toNanos();
        this.maxSpares = maxSpares;
        reporter.allowCoreThreadTimeOut(true);
    }

    /** Starts one thread per carrier, and the monitor unless the hand-off is off. */
    void start(CarrierGroup group, List<Carrier> carriers) {
        this.group = group;
        this.carriers = carriers;
        for (Carrier c : carriers) {
            DriverThread t = new DriverThread(this, "fibril-carrier-" + c.index());
            t.assignedEpoch = 0;
            t.assigned = c;
            threads.add(t);
            t.start();
        }
        if (thresholdNanos > 0) {
            monitor = new Thread(null, this::monitor, "fibril-monitor", 0, false);
            monitor.setDaemon(true);
            monitor.start();
        }
    }

    /** A carrier left its sleep in the ring: the monitor, if it sleeps for good, must watch again. Any thread. */
    void carrierBusy() {
        if (monitorParked) {
            monitorParked = false;
            LockSupport.unpark(monitor);
        }
    }

    // ---------------------------------------------------------------- the monitor

    private void monitor() {
        int n = carriers.size();
        long[] lastWord = new long[n];
        int[] lastTick = new int[n];
        long[] since = new long[n];
        java.util.Arrays.fill(since, UNSEEN);
        long[] confirmCpu = new long[n]; // the thread's CPU time at the first look past the threshold; -1: not read
        java.util.Arrays.fill(confirmCpu, -1);
        long[] sectionWord = new long[n];
        int[] sectionTick = new int[n];
        long[] sectionSince = new long[n]; // seen in one section (CALL) since; UNSEEN: not
        java.util.Arrays.fill(sectionSince, UNSEEN);
        long period = Math.clamp(thresholdNanos / 2, MIN_PERIOD_NANOS, MAX_PERIOD_NANOS);
        long lastGc = gcMillis();
        while (!shutdown) {
            long now = System.nanoTime();
            long gc = gcMillis();
            if (gc != lastGc) {
                // A collection paused every thread since the last look: a driver seen running the
                // same fibril across it was stopped, not held. (A monitor that is merely late, as on
                // a busy machine, still counts the time: the thread it watches was held all along.)
                lastGc = gc;
                java.util.Arrays.fill(since, UNSEEN);
                java.util.Arrays.fill(confirmCpu, -1);
                java.util.Arrays.fill(sectionSince, UNSEEN);
            }
            monitorLooks++; // single writer
            for (int i = 0; i < n; i++) {
                Carrier c = carriers.get(i);
                long word = c.ownership().word();
                int tick = c.ownership().tick();
                if (c.isTerminated() || Ownership.phase(word) != Ownership.CALL || !c.hasWaitingWork()) {
                    sectionSince[i] = UNSEEN;
                } else if (sectionSince[i] == UNSEEN || word != sectionWord[i] || tick != sectionTick[i]) {
                    sectionWord[i] = word;
                    sectionTick[i] = tick;
                    sectionSince[i] = now;
                } else if (sectionSince[i] != REPORTED && now - sectionSince[i] >= STUCK_SECTION_NANOS) {
                    // No hand-off can help here (a section never loses its carrier): say where it waits.
                    stuckSections.incrementAndGet();
                    Thread held = c.thread();
                    long heldNanos = now - sectionSince[i];
                    sectionSince[i] = REPORTED;
                    reporter.execute(() -> reports.stuckInSection(c, held, heldNanos, group.fibrils().live()));
                }
                if (c.isTerminated() || Ownership.phase(word) != Ownership.FIBRIL) {
                    since[i] = UNSEEN;
                    confirmCpu[i] = -1;
                } else if (since[i] == UNSEEN || word != lastWord[i] || tick != lastTick[i]) {
                    lastWord[i] = word; // a new fibril run since the last look: not held
                    lastTick[i] = tick;
                    since[i] = now;
                    confirmCpu[i] = -1;
                } else if (now - since[i] >= thresholdNanos && c.hasWaitingWork()) {
                    // Seen on one fibril for the threshold: held, unless its thread spent the time
                    // waiting for a CPU (a busy machine preempted it). The thread's own times decide,
                    // over the looks from the first one past the threshold.
                    DriverThread driver = c.driverThread();
                    ThreadSchedule ts = driver == null ? null : driver.schedule;
                    long cpu = ts == null ? -1 : ts.cpuNanos();
                    if (cpu >= 0 && confirmCpu[i] < 0) {
                        confirmCpu[i] = cpu; // decided at the next look
                    } else if ((cpu < 0 || ThreadSchedule.held(ts.state(), cpu - confirmCpu[i], thresholdNanos))
                            && handOff(c, word, now - since[i])) {
                        since[i] = UNSEEN;
                        confirmCpu[i] = -1;
                    }
                }
            }
            if (allIdle()) {
                monitorParked = true; // published before the second look: a carrier that wakes after it sees it
                if (allIdle() && !shutdown) {
                    LockSupport.park(this);
                }
                monitorParked = false;
            } else {
                LockSupport.parkNanos(this, period);
            }
        }
    }

    /** Milliseconds the JVM's collectors have spent so far (their pauses, for the stop-the-world ones). */
    private static long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean gc : GC_BEANS) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private boolean allIdle() {
        for (Carrier c : carriers) {
            if (!c.isIdle() && !c.isTerminated()) {
                return false;
            }
        }
        return true;
    }

    /** Hands {@code c}, seen held at {@code word} for {@code heldNanos}, to a spare; false if none could be had or c moved on. */
    private boolean handOff(Carrier c, long word, long heldNanos) {
        DriverThread spare = reserveSpare();
        if (spare == null) {
            refused.incrementAndGet();
            reports.boundReached(c, maxSpares);
            return false;
        }
        Thread held = c.thread();
        if (!c.ownership().tryHandOff(word)) {
            unreserve(spare);
            return false;
        }
        handoffs.incrementAndGet();
        spare.setName("fibril-carrier-" + c.index());
        spare.assignedEpoch = Ownership.epoch(word) + 1;
        spare.assigned = c;
        if (spare.getState() == Thread.State.NEW) {
            spare.start();
        } else {
            LockSupport.unpark(spare);
        }
        held.setName("fibril-carrier-" + c.index() + "-held");
        // Reported off this thread: the held fibril's stack trace waits for its thread to reach a
        // safepoint, which a thread starved of CPU may not do for a while, and the monitor must
        // not wait with it.
        reporter.execute(() -> reports.handedOff(c, held, heldNanos, group.fibrils().live()));
        return true;
    }

    /** An idle spare, or a new (unstarted) thread while the bound allows; null at the bound. */
    private DriverThread reserveSpare() {
        DriverThread t = idleSpares.pollFirst();
        if (t != null) {
            return t;
        }
        if (threads.size() >= carriers.size() + maxSpares) {
            return null;
        }
        t = new DriverThread(this, "fibril-spare-" + spareNames.getAndIncrement());
        threads.add(t);
        return t;
    }

    private void unreserve(DriverThread t) {
        if (t.getState() == Thread.State.NEW) {
            threads.remove(t);
        } else {
            idleSpares.addFirst(t);
        }
    }

    // ---------------------------------------------------------------- the spares' side

    /** A thread that lost its carrier waits here for another one; null when it retires. */
    Carrier awaitAssignment(DriverThread t) {
        t.setName("fibril-spare-" + spareNames.getAndIncrement());
        idleSpares.addFirst(t);
        long deadline = System.nanoTime() + KEEP_ALIVE_NANOS;
        while (true) {
            Carrier next = t.assigned;
            if (next != null) {
                return next;
            }
            long left = deadline - System.nanoTime();
            if ((shutdown || left <= 0) && idleSpares.remove(t)) {
                return null; // not taken by the monitor meanwhile: retire
            }
            LockSupport.parkNanos(this, shutdown || left <= 0 ? MIN_PERIOD_NANOS : left);
        }
    }

    void exited(DriverThread t) {
        threads.remove(t);
        idleSpares.remove(t);
    }

    /**
     * Runtime closing, carriers stopped: stops the monitor and the idle spares and waits up to
     * {@code timeoutNanos} for every thread. A thread still held by a fibril that has not ended
     * is left (logged): it ends when that fibril does.
     */
    boolean shutdown(long timeoutNanos) throws InterruptedException {
        shutdown = true;
        long deadline = System.nanoTime() + timeoutNanos;
        if (monitor != null) {
            LockSupport.unpark(monitor);
            monitor.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
        }
        reporter.shutdown();
        for (DriverThread t : idleSpares) {
            LockSupport.unpark(t);
        }
        for (DriverThread t : List.copyOf(threads)) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
        reporter.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (!threads.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "Fibril runtime closed with " + threads.size()
                    + " thread(s) still held by fibrils that have not ended: " + threads);
            return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- counts (any thread)

    public long handoffs() {
        return handoffs.get();
    }

    /** Threads beyond one per carrier: spares driving a carrier, threads still held, idle spares. */
    public int spareThreads() {
        return Math.max(0, threads.size() - carriers.size());
    }

    public long refused() {
        return refused.get();
    }

    /**
     * Times a carrier was seen inside one runtime call for {@link #STUCK_SECTION_NANOS} while work
     * waited for it: a runtime bug or a JDK wait the runtime did not foresee (logged with where).
     */
    public long stuckSections() {
        return stuckSections.get();
    }

    /** Times the monitor has looked at the carriers so far: it stops counting while every carrier sleeps. */
    public long monitorLooks() {
        return monitorLooks;
    }

    /** Whether a held carrier is handed off at all (a threshold was set). */
    public boolean enabled() {
        return thresholdNanos > 0;
    }
}
