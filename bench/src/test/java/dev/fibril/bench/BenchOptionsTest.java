/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fibril.demo.CommandLine;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    private static String usageError(String... args) {
        return assertThrows(CommandLine.UsageException.class, () -> BenchOptions.parse(args), String.join(" ", args)).getMessage();
    }

    @Test
    void shouldDefaultToTheQuickProfileWithEverything() {
        BenchOptions o = BenchOptions.parse(new String[0]);
        assertEquals(Profile.QUICK, o.profile());
        assertEquals(Catalog.all().size(), o.selectedCases(Catalog.all()).size());
        assertTrue(o.runsEcho() && o.runsHttp() && o.runsIsolation());
    }

    @Test
    void shouldSelectByIdWithOnly() {
        BenchOptions o = BenchOptions.parse(new String[] {"--full", "--only", "load.http", "--http-client", "java"});
        assertEquals(Profile.FULL, o.profile());
        assertTrue(o.selectedCases(Catalog.all()).isEmpty());
        assertTrue(o.runsHttp());
        assertFalse(o.runsEcho());
        assertFalse(o.runsIsolation());
        assertTrue(o.javaHttpClient());
    }

    @Test
    void shouldRunTheIdleFamilyAloneWithItsConnectionCount() {
        BenchOptions o = BenchOptions.parse(new String[] {"--only", "load.idle", "--idle-connections", "10000"});
        assertTrue(o.runsIdle());
        assertFalse(o.runsHttp() || o.runsEcho() || o.runsIsolation());
        assertEquals(10_000, o.idleConnections());
        assertEquals(0, BenchOptions.parse(new String[0]).idleConnections(), "0: the profile's count");
        assertTrue(usageError("--only", "load.idle", "--no-load").contains("--no-load"));
        assertTrue(usageError("--idle-connections", "0").startsWith("--idle-connections"), usageError("--idle-connections", "0"));
    }

    @Test
    void shouldRefuseAnOnlyThatSelectsNothing() {
        String m = usageError("--only", "NoSuchBench");
        assertTrue(m.startsWith("--only 'NoSuchBench' selects no case"), m);
        assertTrue(m.contains("--list"), "says where the ids are: " + m);
        assertTrue(usageError("--only", "load.echo", "--no-load").contains("--no-load"));
        assertTrue(BenchOptions.parse(new String[] {"--only", "isolation", "--no-load"}).runsIsolation(),
                "--no-load does not skip the isolation family");
    }

    @Test
    void shouldRejectBadOptionsWithOneClearMessage() {
        assertEquals("unknown option --bogus", usageError("--bogus"));
        assertEquals("--http-client takes wrk, java, not 'curl'", usageError("--http-client", "curl"));
        assertEquals("--out needs a value", usageError("--out"));
        assertTrue(usageError("--only", "(").startsWith("--only: not a regular expression"));
    }

    @Test
    void shouldListEveryFamilyAndCaseId() {
        BenchOptions o = BenchOptions.parse(new String[] {"--list", "--only", "nothing-matches"});
        assertTrue(o.list(), "--list runs nothing, so an --only that matches nothing is no error");
        String listing = BenchOptions.listing(Catalog.all());
        for (Case c : Catalog.all()) {
            assertTrue(listing.contains(c.family() + "\n"), c.family());
            assertTrue(listing.contains("  " + c.id()), c.id());
        }
        assertTrue(listing.contains(BenchMain.ECHO_ID) && listing.contains(BenchMain.HTTP_ID) && listing.contains(BenchMain.ISOLATION_ID)
                && listing.contains(BenchMain.IDLE_ID));
    }
}
