/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.modular;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@link ModularApp} in its own JVM with Fibril, Jetty and Micrometer on the module path, and
 * the module-path flags from the README, not the class path's ALL-UNNAMED ones.
 */
class ModulePathTest {
    /** The README's flags for an application on the module path. */
    static final List<String> MODULE_PATH_FLAGS = List.of(
            "--add-opens", "java.base/java.lang=dev.fibril.loom,dev.fibril.syscall",
            "--enable-native-access=dev.fibril.loom,dev.fibril.syscall");

    /** This test's class path without the test tooling and this module's test classes. */
    static String modulePath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes"))
                .filter(e -> {
                    String name = Path.of(e).getFileName().toString();
                    return !(name.startsWith("junit") || name.startsWith("opentest4j") || name.startsWith("apiguardian")
                            || name.startsWith("awaitility") || name.startsWith("hamcrest") || name.startsWith("surefire"));
                })
                .collect(Collectors.joining(File.pathSeparator));
    }

    @Test
    void shouldRunAnApplicationModuleThatRequiresOnlyDevFibrilJetty(@TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(MODULE_PATH_FLAGS);
        cmd.addAll(List.of("--module-path", modulePath(), "-m", "dev.fibril.it.modular/dev.fibril.it.modular.ModularApp"));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the modular application did not finish");
        String stdout = Files.readString(out);
        String stderr = Files.readString(err);
        assertEquals(0, p.exitValue(), () -> "exit " + p.exitValue() + "\nstdout: " + stdout + "\nstderr: " + stderr);
        assertTrue(stdout.contains("modular ok: app=dev.fibril.it.modular runtime=dev.fibril.loom connector=dev.fibril.jetty"),
                "ran from named modules: " + stdout);
        assertTrue(stdout.contains("file='read by a fibril' http=200 'served by a fibril'"), stdout);
        assertFalse(stderr.contains("WARNING: Fibril cannot install its scheduler"), "the scheduler hook worked: " + stderr);
        assertFalse(stderr.contains("restricted method"), "native access was granted to the right modules: " + stderr);
    }

    /** Without the opens the runtime refuses to start in strict mode, and names the flag for its module, not ALL-UNNAMED. */
    @Test
    void shouldNameTheModulePathFlagWhenTheSchedulerHookIsClosed(@TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=dev.fibril.loom,dev.fibril.syscall",
                "--module-path", modulePath(), "-m", "dev.fibril.it.modular/dev.fibril.it.modular.ModularApp"));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the modular application did not finish");
        String stderr = Files.readString(err);
        assertTrue(p.exitValue() != 0, "strict mode refused to start: " + Files.readString(out));
        assertTrue(stderr.contains("--add-opens java.base/java.lang=dev.fibril.loom"), stderr);
        assertFalse(stderr.contains("ALL-UNNAMED"), stderr);
    }
}
