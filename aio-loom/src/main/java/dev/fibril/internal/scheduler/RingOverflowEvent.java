/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * JFR: a carrier's ring found the kernel holding completions back because its completion queue was
 * full. Nothing is lost (the ring keeps them and the carrier fetches them with one more kernel
 * call), but it says the completion queue is small for the load. Made and committed only on that
 * rare path, after a reap, so a recording without it costs the carrier one comparison per reap.
 */
@Name("dev.fibril.RingOverflow")
@Label("Ring Overflow")
@Category("Fibril")
@Description("The kernel held completions back for a full completion queue; the carrier fetched them with one more kernel call")
final class RingOverflowEvent extends Event {
    @Label("Carrier")
    int carrier;

    @Label("Overflows")
    @Description("Overflow episodes seen since the carrier's last reap")
    long overflows;

    @Label("Total")
    @Description("Overflow episodes of this carrier's ring so far")
    long total;

    static void report(int carrier, long overflows, long total) {
        RingOverflowEvent e = new RingOverflowEvent();
        if (e.shouldCommit()) {
            e.carrier = carrier;
            e.overflows = overflows;
            e.total = total;
            e.commit();
        }
    }
}
