/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the Linux scheduler says of one thread: its state ({@code R} running or runnable, {@code S}
 * or {@code D} asleep in the kernel, ...) from {@code /proc/<pid>/task/<tid>/stat}, and its time
 * on a CPU in nanoseconds from {@code .../schedstat} (CONFIG_SCHED_INFO, as distributions build it).
 *
 * <p>The hand-off monitor uses it to tell a fibril that holds its carrier's thread from a thread
 * the operating system preempted on a busy machine. A thread that runs, or sleeps in a call,
 * while it owns its carrier for a fibril holds the carrier; a runnable thread whose CPU time did
 * not move is waiting for a CPU, and handing its carrier to another thread would only add a thread
 * to a machine that has no CPU to spare for it. The run-queue wait in {@code schedstat} cannot
 * tell this: the kernel adds a wait to it only when the wait ends.
 *
 * <p>Read on the monitor's slow path only, once a carrier was seen on one fibril for the threshold.
 */
final class ThreadSchedule {
    /** State as read: the thread is running or waiting for a CPU. */
    static final char RUNNABLE = 'R';

    private final Path stat;
    private final Path schedstat;

    private ThreadSchedule(Path task) {
        this.stat = task.resolve("stat");
        this.schedstat = task.resolve("schedstat");
    }

    /** The calling thread's schedule, or null where the kernel does not expose it. */
    static ThreadSchedule ofCurrentThread() {
        try {
            Path task = Path.of("/proc").resolve(Files.readSymbolicLink(Path.of("/proc/thread-self"))); // pid/task/tid
            ThreadSchedule s = new ThreadSchedule(task);
            return s.cpuNanos() >= 0 && s.state() != 0 ? s : null;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    /** Nanoseconds the thread has run on a CPU, or -1 if unreadable (the thread ended). */
    long cpuNanos() {
        try {
            String s = new String(Files.readAllBytes(schedstat), StandardCharsets.US_ASCII);
            int end = s.indexOf(' ');
            return Long.parseLong(end < 0 ? s.trim() : s.substring(0, end));
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The thread's state letter, or 0 if unreadable. */
    char state() {
        try {
            String s = new String(Files.readAllBytes(stat), StandardCharsets.US_ASCII);
            int i = s.lastIndexOf(')'); // the name before it may hold spaces and parentheses
            return i >= 0 && i + 2 < s.length() ? s.charAt(i + 2) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Whether a thread that owns its carrier for one fibril holds it: it sleeps in the kernel
     * (state other than {@link #RUNNABLE}), or it ran at least {@code thresholdNanos / 4} on a CPU
     * during the looks since the first one past the threshold ({@code cpuDeltaNanos}). A runnable
     * thread that ran less was waiting for a CPU.
     */
    static boolean held(char state, long cpuDeltaNanos, long thresholdNanos) {
        return state != RUNNABLE || cpuDeltaNanos >= thresholdNanos / 4;
    }
}
