/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.syscall.uring.IoUringBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine and JVM every number was measured on; the report prints it with every table. */
record Machine(int cpus, String cpuModel, String kernel, String jvm, String ioUring) {

    static Machine current() {
        String model = "unknown";
        try {
            model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc is hidden: say unknown
        }
        String jvm = System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version");
        String kernel = System.getProperty("os.name") + " " + System.getProperty("os.version") + " (" + System.getProperty("os.arch") + ")";
        var probe = IoUringBackend.probe();
        String uring = probe.available() ? "available" : "not available: " + probe.reason();
        return new Machine(Runtime.getRuntime().availableProcessors(), model, kernel, jvm, uring);
    }

    boolean ioUringAvailable() {
        return ioUring.equals("available");
    }

    String oneLine() {
        return cpus + " CPUs (" + cpuModel + "), " + kernel + ", " + jvm + ", io_uring " + ioUring;
    }
}
