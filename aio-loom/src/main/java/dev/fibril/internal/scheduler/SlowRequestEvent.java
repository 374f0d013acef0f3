/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Threshold;

/**
 * JFR: a fibril's request that took longer than the threshold, from the fibril's park to its
 * completion. Only requests whose time is the system's count: not a timer, nor a receive, accept
 * or readiness poll, which wait for a peer as long as the peer likes. Off by default (Fibril's fibril.jfc turns it on at 20 ms): while no recording enables
 * it, a call pays one static check ({@link #ENABLED}) and allocates nothing.
 */
@Name("dev.fibril.SlowRequest")
@Label("Slow Request")
@Category("Fibril")
@Description("A request a fibril parked for took longer than the threshold to complete")
@Enabled(false)
@Threshold("20 ms")
final class SlowRequestEvent extends Event {
    /** A shared instance, only asked whether the event type is on (instance-independent). */
    static final SlowRequestEvent ENABLED = new SlowRequestEvent();

    @Label("Carrier")
    int carrier;

    /** Whether a request of {@code op} is one whose duration says something about the system. */
    static boolean counts(byte op) {
        return op != dev.fibril.aio.spi.Op.TIMEOUT && op != dev.fibril.aio.spi.Op.RECV && op != dev.fibril.aio.spi.Op.ACCEPT
                && op != dev.fibril.aio.spi.Op.POLL_ADD && op != dev.fibril.aio.spi.Op.LINK_TIMEOUT;
    }

    @Label("Operation")
    String operation;

    @Label("File Descriptor")
    int fd;

    @Label("Result")
    @Description("The completion's result: bytes moved, or -errno")
    int result;
}
