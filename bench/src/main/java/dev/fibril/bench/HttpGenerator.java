/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/** A closed-loop HTTP/1.1 keep-alive load generator: wrk, or the Java client when wrk is missing. */
interface HttpGenerator {
    /** Client threads: the machine has two cores, and the servers run on them too. */
    int THREADS = 2;

    /** Which generator this is, for the report. */
    String describe();

    /**
     * Loads {@code base} with {@code connections} keep-alive connections for {@code seconds}, each
     * sending its next request when the last response is complete; blocks until the run is over.
     * Writes what the generator printed (or a summary of it) to {@code raw}.
     *
     * @throws IOException when the generator itself failed (not when the server answered with errors:
     *     those are counted in the result)
     */
    HttpRun run(URI base, HttpWorkload workload, int connections, int seconds, Path raw)
            throws IOException, InterruptedException;
}
