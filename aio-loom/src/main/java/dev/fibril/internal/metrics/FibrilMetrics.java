/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.metrics;

import dev.fibril.RuntimeStats;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.CarrierGroup;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Micrometer meters over the carriers' plain counters. Nothing on the submit/complete path calls
 * Micrometer: every meter here is a function counter or gauge that reads a counter when the
 * registry is scraped. Every meter carries the tag {@code backend}.
 */
public final class FibrilMetrics implements MeterBinder {
    private static final byte[] REPORTED_OPS = {
            Op.NOP, Op.READ, Op.WRITE, Op.FSYNC, Op.ACCEPT, Op.CONNECT, Op.RECV, Op.SEND, Op.SHUTDOWN,
            Op.TIMEOUT, Op.SPLICE, Op.POLL_ADD, Op.OPENAT, Op.CLOSE, Op.STATX, Op.FTRUNCATE, Op.SOCKET};

    private final CarrierGroup group;

    public FibrilMetrics(CarrierGroup group) {
        this.group = group;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags tags = Tags.of("backend", group.backend().name());
        counter(registry, "fibril.fibrils.started", "Fibrils created", tags, g -> g.startedFibrils());
        Gauge.builder("fibril.fibrils.alive", group, g -> g.aliveFibrils())
                .description("Fibrils not yet finished, the carriers' idle spares not counted").tags(tags).register(registry);
        Gauge.builder("fibril.fibrils.spare", group, g -> g.spareFibrils())
                .description("Idle spare fibrils, which run what completions hand over (an armed receive's task)")
                .tags(tags).register(registry);
        counter(registry, "fibril.parks", "Fibril parks waiting for a completion", tags, g -> sum(g, c -> c.stats().parks()));
        counter(registry, "fibril.resumes", "Fibril wake-ups by path: same-carrier (on the fibril's own carrier) or cross-thread (handed over from another thread)", tags.and("path", "same-carrier"),
                g -> sum(g, c -> c.stats().localWakeups()));
        counter(registry, "fibril.resumes", "Fibril wake-ups by path: same-carrier (on the fibril's own carrier) or cross-thread (handed over from another thread)", tags.and("path", "cross-thread"),
                g -> sum(g, Carrier::remoteWakeups));
        counter(registry, "fibril.completions.inline", "Completions taken without parking", tags,
                g -> sum(g, c -> c.stats().inlineCompletions()));
        counter(registry, "fibril.submissions", "Requests submitted to the kernel", tags, g -> sum(g, c -> c.stats().submissions()));
        counter(registry, "fibril.retries", "EINTR/EAGAIN completions resubmitted", tags, g -> sum(g, c -> c.stats().retries()));
        counter(registry, "fibril.completions.stale", "Completions for a descriptor not in flight, dropped", tags,
                g -> sum(g, c -> c.stats().staleCompletions()));
        counter(registry, "fibril.kernel.calls", "Calls into the kernel", tags, g -> sum(g, c -> c.ring().kernelCalls()));
        counter(registry, "fibril.carrier.handoffs", "Carriers handed to a spare thread because a fibril held their thread",
                tags, g -> g.handoffs().handoffs());
        counter(registry, "fibril.carrier.handoffs.refused", "Held carriers left waiting because every spare thread was in use",
                tags, g -> g.handoffs().refused());
        counter(registry, "fibril.carrier.stuck.sections", "Carriers seen inside one runtime call for a second while work waited",
                tags, g -> g.handoffs().stuckSections());
        Gauge.builder("fibril.spare.threads", group, g -> g.handoffs().spareThreads())
                .description("Threads beyond one per carrier: spares driving a carrier, threads held by a fibril, idle spares")
                .tags(tags).register(registry);
        for (byte op : REPORTED_OPS) {
            for (boolean ok : new boolean[] {true, false}) {
                counter(registry, "fibril.completions", "Completions delivered to callers",
                        tags.and("op", Op.name(op), "outcome", ok ? "ok" : "error"),
                        g -> sum(g, c -> c.stats().completions(op, ok)));
            }
        }
        for (Carrier c : group.carriers()) {
            Tags ct = tags.and("carrier", Integer.toString(c.index()));
            gauge(registry, "fibril.descriptors.in.use", "Descriptors taken", ct, c, x -> x.pool().inUse());
            gauge(registry, "fibril.descriptors.capacity", "Descriptors allocated (grows to the bound)", ct, c, x -> x.pool().capacity());
            gauge(registry, "fibril.descriptors.bound", "Most descriptors the pool may hold", ct, c, x -> x.pool().bound());
            gauge(registry, "fibril.descriptors.waiting", "Callers parked for a descriptor", ct, c, x -> x.pool().waiting());
            gauge(registry, "fibril.carrier.failed", "1 once the carrier gave up on its ring", ct, c, x -> x.failure() == null ? 0 : 1);
            gauge(registry, "fibril.run.queue.depth", "Ready fibrils on the carrier's local queue", ct, c, x -> x.runQueueDepth());
        }
    }

    /** The counters summed over carriers. */
    public RuntimeStats snapshot() {
        int inUse = 0;
        int capacity = 0;
        int bound = 0;
        int waiting = 0;
        long waits = 0;
        int highWater = 0;
        for (Carrier c : group.carriers()) {
            highWater = Math.max(highWater, c.pool().highWater());
            inUse += c.pool().inUse();
            capacity += c.pool().capacity();
            bound += c.pool().bound();
            waiting += c.pool().waiting();
            waits += c.pool().waits();
        }
        return new RuntimeStats(
                group.backend().name(),
                group.carriers().size(),
                group.startedFibrils(),
                group.aliveFibrils(),
                sum(group, c -> c.stats().parks()),
                sum(group, c -> c.stats().localWakeups()),
                sum(group, Carrier::remoteWakeups),
                sum(group, c -> c.stats().inlineCompletions()),
                sum(group, c -> c.stats().submissions()),
                sum(group, c -> c.stats().completions()),
                sum(group, c -> c.stats().retries()),
                sum(group, c -> c.stats().staleCompletions()),
                sum(group, c -> c.stats().cancelsSubmitted()),
                sum(group, c -> c.ring().kernelCalls()),
                inUse, capacity, bound, waiting, waits, highWater,
                (int) sum(group, Carrier::ownFileDescriptors),
                sum(group, c -> c.stats().loopFailures()),
                (int) sum(group, c -> c.failure() == null ? 0 : 1),
                sum(group, c -> c.stats().fullQueueStalls()),
                sum(group, c -> c.ring().kernelCallErrors()),
                group.handoffs().handoffs(),
                group.handoffs().spareThreads(),
                group.handoffs().refused(),
                group.handoffs().stuckSections(),
                (int) sum(group, c -> c.receiveBuffersIfMade() == null ? 0 : c.receiveBuffersIfMade().capacity()),
                (int) sum(group, c -> c.receiveBuffersIfMade() != null && c.receiveBuffersIfMade().kernelPicks() ? 1 : 0),
                (int) sum(group, c -> c.receiveBuffersIfMade() == null ? 0 : c.receiveBuffersIfMade().lent()),
                sum(group, c -> c.receiveBuffersIfMade() == null ? 0 : c.receiveBuffersIfMade().waits()),
                group.syncCallsOnCarriers());
    }

    private static long sum(CarrierGroup g, ToLongFunction<Carrier> f) {
        long total = 0;
        for (Carrier c : g.carriers()) {
            total += f.applyAsLong(c);
        }
        return total;
    }

    private void counter(MeterRegistry r, String name, String description, Tags tags, ToDoubleFunction<CarrierGroup> f) {
        FunctionCounter.builder(name, group, f).description(description).tags(tags).register(r);
    }

    private static void gauge(MeterRegistry r, String name, String description, Tags tags, Carrier c,
                              ToDoubleFunction<Carrier> f) {
        Gauge.builder(name, c, f).description(description).tags(tags).register(r);
    }
}
