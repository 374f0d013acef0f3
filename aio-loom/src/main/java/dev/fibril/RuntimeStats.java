/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril;

/**
 * A snapshot of a runtime's counters, summed over its carriers. Each carrier's counters are
 * written by that carrier alone, so a snapshot taken while fibrils run is a moment old, not torn.
 *
 * @param backend            the backend's name
 * @param carriers           number of carriers
 * @param fibrilsStarted     fibrils created since start
 * @param fibrilsAlive       fibrils not yet finished (the carriers' idle spare fibrils not counted)
 * @param parks              times a fibril parked waiting for a completion
 * @param sameCarrierResumes wake-ups made on the fibril's own carrier (no cross-thread hand-off)
 * @param crossThreadResumes wake-ups that came from another thread through the carrier's MPSC queue
 * @param inlineCompletions  requests whose completion was taken without parking
 * @param submissions        requests submitted (retries after EINTR/EAGAIN included)
 * @param completions        final completions delivered to callers
 * @param retries            EINTR/EAGAIN completions resubmitted inside the runtime
 * @param staleCompletions   completions for a descriptor not in flight (each ring tells stale ones by its
 *                           own slot generation, so none are expected): detected, never delivered
 * @param cancels            ASYNC_CANCEL requests submitted
 * @param kernelCalls        calls into the kernel (flushes and waits)
 * @param descriptorsInUse   descriptors taken now
 * @param descriptorCapacity descriptors allocated so far (grows up to the bound)
 * @param descriptorBound    the most descriptors the pools may hold
 * @param descriptorWaiters  callers parked now for a descriptor
 * @param descriptorWaits    times a caller had to wait for a descriptor (back-pressure)
 * @param descriptorHighWater the most descriptors one carrier ever had in use at once
 * @param ownFileDescriptors  file descriptors the runtime holds for itself: both ends of each
 *                            splice pipe of the carriers' pools (one per sendFile in flight, made on
 *                            demand, at most 16 per carrier, kept until the runtime closes)
 * @param loopFailures        carrier loop iterations that threw (each is logged; the loop goes on)
 * @param failedCarriers      carriers whose ring was given up after repeated loop failures: their
 *                            fibrils still run, and each of their I/O calls throws, naming the cause
 * @param fullQueueStalls     times a full submission queue was flushed and the kernel took nothing
 * @param kernelCallErrors    calls into the kernel that failed other than by a signal or a timeout
 *                            (io_uring_enter's EBUSY, EAGAIN, EBADR; the first of each is logged)
 * @param handoffs            times a carrier was handed to a spare thread because a fibril held
 *                            its thread past the hand-off threshold while other work waited
 * @param spareThreads        threads the runtime runs now besides one per carrier: spares driving
 *                            a carrier, threads still held by the fibril that blocked them, idle spares
 * @param handoffsRefused     times a carrier was held past the threshold and no spare could be had
 *                            (the bound of {@code maxSpareThreads} was reached)
 * @param stuckSections       times a carrier sat inside one runtime call for a second while other
 *                            work waited for it (no hand-off can take it there); each is logged
 *                            with where it waits. Stays 0 unless the runtime has a bug
 * @param syncCallsOnCarriers synchronous open, socket, size, truncate and close calls into the
 *                            backend made on a carrier's thread: where the backend's rings carry
 *                            OPENAT, SOCKET, STATX, FTRUNCATE and CLOSE a fibril's calls are ring
 *                            requests instead, so on io_uring this stays 0 unless the kernel lacks
 *                            an op or it is switched off (epoll's rings make such calls themselves
 *                            at submission, which this does not count)
 */
public record RuntimeStats(
        String backend,
        int carriers,
        long fibrilsStarted,
        int fibrilsAlive,
        long parks,
        long sameCarrierResumes,
        long crossThreadResumes,
        long inlineCompletions,
        long submissions,
        long completions,
        long retries,
        long staleCompletions,
        long cancels,
        long kernelCalls,
        int descriptorsInUse,
        int descriptorCapacity,
        int descriptorBound,
        int descriptorWaiters,
        long descriptorWaits,
        int descriptorHighWater,
        int ownFileDescriptors,
        long loopFailures,
        int failedCarriers,
        long fullQueueStalls,
        long kernelCallErrors,
        long handoffs,
        int spareThreads,
        long handoffsRefused,
        long stuckSections,
        int receiveBuffers,
        int receiveBufferRings,
        int receiveBuffersLent,
        long receiveBufferWaits,
        long syncCallsOnCarriers) {
}
