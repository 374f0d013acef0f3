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
import jdk.jfr.Threshold;

/** JFR: a fibril parked because its carrier's descriptor pool was at its bound (back-pressure). */
@Name("dev.fibril.DescriptorPoolExhausted")
@Label("Descriptor Pool Exhausted")
@Category("Fibril")
@Description("A fibril waited for a request descriptor: every descriptor of its carrier was in use, up to the pool's bound")
@Threshold("0 ms")
final class DescriptorWaitEvent extends Event {
    @Label("Carrier")
    int carrier;

    @Label("Bound")
    @Description("The most descriptors the carrier's pool may hold (FibrilRuntime.Builder.descriptorPoolBound)")
    int bound;

    @Label("Waiters")
    @Description("Callers waiting for a descriptor on this carrier when this one started to")
    int waiters;

    @Label("Granted")
    @Description("False when the wait ended without a descriptor (interrupted, runtime closing)")
    boolean granted;
}
