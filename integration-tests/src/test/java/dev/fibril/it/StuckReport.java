/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.fibril.FibrilRuntime;
import dev.fibril.internal.scheduler.Carrier;
import dev.fibril.internal.scheduler.CarrierGroup;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a test says when a fibril it waits for is stuck: the fibril's stack, each carrier's state,
 * thread stack and descriptors, the runtime's counts, and a dump of every thread (virtual ones
 * included) written under {@code target/}.
 */
final class StuckReport {
    private StuckReport() {
    }

    static String of(FibrilRuntime rt, Thread stuck) {
        StringBuilder sb = new StringBuilder("stuck: ").append(stuck).append('\n');
        appendStack(sb, stuck.getStackTrace());
        try {
            java.lang.reflect.Field field = FibrilRuntime.class.getDeclaredField("group");
            field.setAccessible(true);
            for (Carrier c : ((CarrierGroup) field.get(rt)).carriers()) {
                sb.append(c.describeState()).append('\n');
                if (c.thread() != null) {
                    appendStack(sb, c.thread().getStackTrace());
                }
                sb.append(c.describeDescriptors());
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            sb.append("carriers unreadable: ").append(e).append('\n');
        }
        sb.append(rt.stats()).append('\n');
        try {
            Path dump = Files.createTempFile(Path.of("target").toAbsolutePath(), "threads-", ".json");
            Files.delete(dump); // dumpThreads makes the file
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(dump.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            sb.append("all threads: ").append(dump.toAbsolutePath()).append('\n');
        } catch (Exception e) {
            sb.append("no thread dump: ").append(e).append('\n');
        }
        return sb.toString();
    }

    private static void appendStack(StringBuilder sb, StackTraceElement[] stack) {
        for (StackTraceElement e : stack) {
            sb.append("    at ").append(e).append('\n');
        }
    }
}
