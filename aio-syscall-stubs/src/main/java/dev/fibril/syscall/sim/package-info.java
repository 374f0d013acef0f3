/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The simulated kernel: a deterministic, in-memory model of a kernel with a completion interface,
 * for tests and for benchmarks that isolate the runtime's own cost.
 *
 * <p>{@link dev.fibril.syscall.sim.SimulatedKernel} is the {@link dev.fibril.aio.spi.Backend};
 * {@link dev.fibril.syscall.sim.SimulatedRing} the per-carrier
 * {@link dev.fibril.aio.spi.CompletionRing}. Files live in {@code MemoryFile} pages, sockets are
 * {@code MemorySocket}s joined by a {@code Connection} on the {@code Loopback}; a socket op that
 * cannot complete waits as a pooled {@code PendingOp} and comes back to its ring through the
 * ring's {@code MpscCompletionQueue}. {@link dev.fibril.syscall.sim.Latency} and
 * {@link dev.fibril.syscall.sim.Fault} configure timing and faults;
 * {@link dev.fibril.syscall.sim.ManualClock} makes time deterministic too.
 */
package dev.fibril.syscall.sim;
