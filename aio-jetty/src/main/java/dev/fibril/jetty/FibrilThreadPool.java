/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import dev.fibril.FibrilRuntime;

import java.io.IOException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.component.Dumpable;
import org.eclipse.jetty.util.thread.ThreadPool;
import org.eclipse.jetty.util.thread.ThreadPoolBudget;
import org.eclipse.jetty.util.thread.TryExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty {@link ThreadPool} that runs every task on a Fibril virtual thread. Use it as the
 * {@link org.eclipse.jetty.server.Server}'s pool, or hand it to a
 * {@link org.eclipse.jetty.util.thread.QueuedThreadPool} with
 * {@code setVirtualThreadsExecutor(pool)} so that Jetty runs its blocking work on fibrils.
 *
 * <p>Limits, as Jetty users know them: at most {@link #getMaxThreads()} tasks run at once; more
 * wait in a queue of at most {@link #getMaxQueued()} tasks (then {@link RejectedExecutionException}),
 * and a fibril that finishes its task takes the next queued one instead of exiting. Reserving
 * threads ahead of time buys nothing with virtual threads, so the reserved-thread policy is
 * headroom instead: {@link #execute} queues once {@code maxThreads - reservedThreads} tasks run,
 * while {@link #tryExecute} (Jetty's "run this now or not at all") may use the reserved slots and
 * never queues. {@link #isLowOnThreads()} reports when only the reserve is left.
 */
@ManagedObject("A thread pool of Fibril virtual threads")
public class FibrilThreadPool extends ContainerLifeCycle
        implements ThreadPool.SizedThreadPool, TryExecutor, VirtualThreads.Configurable, Dumpable {
    private static final Logger LOG = LoggerFactory.getLogger(FibrilThreadPool.class);

    private final FibrilRuntime runtime;
    private final TaskSlots running = new TaskSlots();
    private final AtomicInteger queuedCount = new AtomicInteger();
    private final ConcurrentLinkedDeque<Runnable> queue = new ConcurrentLinkedDeque<>();
    private final LongAdder completed = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private volatile boolean stopping;
    private volatile int maxThreads = 10_000;
    private volatile int reservedThreads = -1;
    private volatile int maxQueued = 100_000;
    private volatile long stopTimeout = 5_000;
    private String name = "fibril-pool";
    /** What the server's components lease for good (a ServerConnector's acceptors and selectors), checked at their start. */
    private final ThreadPoolBudget budget = new ThreadPoolBudget(this);

    /** A pool whose tasks run on {@code runtime}'s fibrils; stopping the pool does not close the runtime. */
    public FibrilThreadPool(FibrilRuntime runtime) {
        if (runtime == null) {
            throw new NullPointerException("runtime");
        }
        this.runtime = runtime;
    }

    public FibrilRuntime getRuntime() {
        return runtime;
    }

    @ManagedAttribute("pool name")
    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    @Override
    @ManagedAttribute("maximum number of tasks running at once")
    public int getMaxThreads() {
        return maxThreads;
    }

    /** @throws IllegalArgumentException if {@code max} is not positive */
    @Override
    public void setMaxThreads(int max) {
        if (max <= 0) {
            throw new IllegalArgumentException("maxThreads must be positive: " + max);
        }
        this.maxThreads = max;
    }

    /**
     * The budget Jetty's components lease threads from, as from a {@code QueuedThreadPool}: a
     * component that would hold every slot for good (a {@code ServerConnector}'s acceptors and
     * selectors with {@code maxThreads} 2) fails its start with "Insufficient configured threads"
     * instead of leaving no slot for the requests.
     */
    @Override
    public ThreadPoolBudget getThreadPoolBudget() {
        return budget;
    }

    /** Virtual threads are not kept idle, so there is no minimum; always 0. */
    @Override
    public int getMinThreads() {
        return 0;
    }

    /** Accepted for configuration compatibility and ignored: no fibril is kept idle. */
    @Override
    public void setMinThreads(int min) {
        if (min < 0) {
            throw new IllegalArgumentException("minThreads must not be negative: " + min);
        }
    }

    /**
     * Slots only {@link #tryExecute} may use; by default 1% of {@link #getMaxThreads()}, at least 1.
     * Never all of them: {@link #execute} keeps at least one slot.
     */
    @ManagedAttribute("slots kept for tryExecute")
    public int getReservedThreads() {
        int r = reservedThreads;
        return Math.min(r >= 0 ? r : Math.max(1, maxThreads / 100), maxThreads - 1);
    }

    /** @param reserved slots kept for {@link #tryExecute}; -1 for the default */
    public void setReservedThreads(int reserved) {
        if (reserved < -1) {
            throw new IllegalArgumentException("reservedThreads must be -1 (default) or more: " + reserved);
        }
        this.reservedThreads = reserved;
    }

    @ManagedAttribute("maximum number of queued tasks")
    public int getMaxQueued() {
        return maxQueued;
    }

    public void setMaxQueued(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("maxQueued must not be negative: " + max);
        }
        this.maxQueued = max;
    }

    @ManagedAttribute("milliseconds stop waits for running tasks")
    public long getStopTimeout() {
        return stopTimeout;
    }

    public void setStopTimeout(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("stopTimeout must not be negative: " + millis);
        }
        this.stopTimeout = millis;
    }

    /** Tasks running now. */
    @Override
    @ManagedAttribute("tasks running now")
    public int getThreads() {
        return running.running();
    }

    /** Always 0: a fibril exits when the queue is empty. */
    @Override
    public int getIdleThreads() {
        return 0;
    }

    @ManagedAttribute("tasks waiting for a slot")
    public int getQueueSize() {
        return queuedCount.get();
    }

    @ManagedAttribute("tasks run to the end")
    public long getCompletedTasks() {
        return completed.sum();
    }

    @ManagedAttribute("tasks refused")
    public long getRejectedTasks() {
        return rejected.sum();
    }

    @Override
    @ManagedAttribute("true when only the reserved slots are left")
    public boolean isLowOnThreads() {
        return running.running() >= maxThreads - getReservedThreads();
    }

    @Override
    public Executor getVirtualThreadsExecutor() {
        return this;
    }

    /** Fixed: this pool's threads are virtual threads, so it is its own virtual-threads executor. */
    @Override
    public void setVirtualThreadsExecutor(Executor executor) {
        if (executor != this && executor != null) {
            throw new UnsupportedOperationException("FibrilThreadPool always runs tasks on Fibril's virtual threads");
        }
    }

    /**
     * Runs {@code task} on a fibril now, or queues it when {@code maxThreads - reservedThreads}
     * tasks are running.
     *
     * @throws RejectedExecutionException when the pool is not running or the queue is full
     */
    @Override
    public void execute(Runnable task) {
        if (task == null) {
            throw new NullPointerException("task");
        }
        if (!isRunning()) {
            reject(task, "is " + getState());
        }
        try {
            if (tryStart(task, maxThreads - getReservedThreads())) {
                return;
            }
        } catch (RejectedExecutionException e) {
            rejected.increment();
            throw e;
        }
        if (queuedCount.incrementAndGet() > maxQueued) {
            queuedCount.decrementAndGet();
            reject(task, "has " + maxQueued + " queued tasks (maxQueued)");
        }
        queue.offer(task);
        // Every running task may have ended between the failed start and the offer.
        if (!drain() && queue.remove(task)) {
            // The runtime refuses fibrils (it is closing) and the task is still ours to refuse.
            queuedCount.decrementAndGet();
            reject(task, "cannot start fibrils: the Fibril runtime is closing");
        }
    }

    /** Runs {@code task} on a fibril if a slot (reserved ones included) is free; never queues. */
    @Override
    public boolean tryExecute(Runnable task) {
        if (task == null) {
            throw new NullPointerException("task");
        }
        if (!isRunning()) {
            return false;
        }
        try {
            return tryStart(task, maxThreads);
        } catch (RejectedExecutionException e) {
            rejected.increment();
            throw e;
        }
    }

    /** Starts {@code task} on a fibril if fewer than {@code limit} run; throws (uncounted) if the runtime refuses. */
    private boolean tryStart(Runnable task, int limit) {
        if (!running.tryTake(limit)) {
            return false;
        }
        try {
            runtime.start(() -> runFrom(task));
        } catch (RejectedExecutionException e) {
            release();
            throw new RejectedExecutionException(name + ": the Fibril runtime refused a task", e);
        }
        return true;
    }

    private void runFrom(Runnable first) {
        Runnable task = first;
        try {
            while (task != null) {
                try {
                    task.run();
                } catch (Throwable t) {
                    Thread.currentThread().getUncaughtExceptionHandler().uncaughtException(Thread.currentThread(), t);
                } finally {
                    completed.increment();
                    // As QueuedThreadPool's runner: an interrupt status a task left behind must not
                    // reach the next task on this fibril (its channel calls would close on it).
                    Thread.interrupted();
                }
                task = isRunning() ? poll() : null;
            }
        } finally {
            release();
        }
        if (isRunning()) {
            drain(); // a refusal leaves the task queued: doStop drops it (closing it), as for any queued task
        }
    }

    /**
     * Starts queued tasks while there are free slots. A task it cannot start goes back to the head
     * of the queue, never lost: false if that was because the runtime refused to start a fibril
     * (it is closing), true otherwise.
     */
    boolean drain() {
        while (!queue.isEmpty()) {
            Runnable next = poll();
            if (next == null) {
                return true;
            }
            boolean started;
            try {
                started = tryStart(next, maxThreads - getReservedThreads());
            } catch (RejectedExecutionException e) {
                requeueFirst(next);
                return false;
            }
            if (!started) {
                requeueFirst(next);
                return true;
            }
        }
        return true;
    }

    private void requeueFirst(Runnable task) {
        queuedCount.incrementAndGet();
        queue.offerFirst(task);
    }

    private Runnable poll() {
        Runnable next = queue.poll();
        if (next != null) {
            queuedCount.decrementAndGet();
        }
        return next;
    }

    private void release() {
        running.give(stopping);
    }

    private void reject(Runnable task, String why) {
        rejected.increment();
        throw new RejectedExecutionException(name + " " + why + ": cannot run " + task);
    }

    /**
     * Stops taking tasks, drops the queued ones (closing those that are {@link java.io.Closeable}), and waits up to the stop
     * timeout for the running tasks to end.
     */
    @Override
    protected void doStart() throws Exception {
        stopping = false;
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        stopping = true;
        super.doStop();
        for (Runnable r = poll(); r != null; r = poll()) {
            rejected.increment();
            if (r instanceof java.io.Closeable c) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // the task is being dropped; its own close failure has nowhere better to go
                }
            }
        }
        running.wakeWaiters();
        long timeout = getStopTimeout();
        if (timeout > 0 && !running.awaitIdle(TimeUnit.MILLISECONDS.toNanos(timeout))) {
            LOG.warn("{} stopped with {} tasks still running after {} ms", name, running.running(), timeout);
        }
    }

    /** Waits until the pool is stopping and its tasks have ended. */
    @Override
    public void join() throws InterruptedException {
        running.awaitStoppedAndIdle(() -> stopping);
    }

    @Override
    public void dump(Appendable out, String indent) throws IOException {
        Dumpable.dumpObjects(out, indent, this,
                "running=" + running.running() + "/" + maxThreads + " reserved=" + getReservedThreads()
                        + " queued=" + queuedCount.get() + "/" + maxQueued
                        + " completed=" + completed.sum() + " rejected=" + rejected.sum(),
                "runtime backend=" + runtime.backendName() + " " + runtime.stats());
    }

    @Override
    public String toString() {
        return String.format("%s@%x{%s,running=%d/%d,queued=%d}", getClass().getSimpleName(), hashCode(), getState(),
                running.running(), maxThreads, queuedCount.get());
    }
}
