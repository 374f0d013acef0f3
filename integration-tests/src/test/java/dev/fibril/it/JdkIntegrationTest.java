/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour decided once per JVM, each checked in a fresh child JVM. */
class JdkIntegrationTest {
    private static final String OPENS = "--add-opens=java.base/java.lang=ALL-UNNAMED";

    @Test
    void shouldKeepDefaultVirtualThreadSocketIoWorkingAfterARuntimeUsedJdkSocketsAndClosed() throws Exception {
        ChildJvm.Result r = ChildJvm.run(JdkPollerScenario.class, List.of(OPENS));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("OK"), r.output());
    }

    @Test
    void shouldRefuseToStartInStrictModeWithoutTheSchedulerFlag() throws Exception {
        ChildJvm.Result r = ChildJvm.run(SchedulerHookScenario.class, List.of(), "strict");
        assertTrue(r.output().contains("REFUSED"), r.output());
        assertTrue(r.output().contains("--add-opens java.base/java.lang=ALL-UNNAMED"), "names the flag: " + r.output());
        assertTrue(r.output().contains("strict mode"), r.output());
    }

    @Test
    void shouldWarnOnceAndFallBackToTheDefaultSchedulerWithoutTheFlag() throws Exception {
        ChildJvm.Result r = ChildJvm.run(SchedulerHookScenario.class, List.of(), "fallback");
        assertTrue(r.output().contains("RESULT virtual=true fibril=false read=789"), r.output());
        String warning = "--add-opens java.base/java.lang=ALL-UNNAMED";
        assertEquals(1, r.output().lines().filter(l -> l.contains(warning)).count(), "one warning line: " + r.output());
        assertTrue(r.output().contains("default virtual-thread scheduler"), r.output());
        assertFalse(r.output().contains("REFUSED"), r.output());
    }
}
