/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** This process's open file descriptors and resident memory, from /proc (Linux). */
final class ProcessProbe {
    private ProcessProbe() {
    }

    /** Open file descriptors of this process, or -1 where /proc/self/fd cannot be read. */
    static int openFds() {
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path ignored : fds) {
                n++;
            }
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
        return n - 1; // the directory stream's own descriptor
    }

    /** Resident set size in KiB (VmRSS), or -1 where /proc/self/status cannot be read. */
    static long rssKiB() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/status"));
            for (String line : lines) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
