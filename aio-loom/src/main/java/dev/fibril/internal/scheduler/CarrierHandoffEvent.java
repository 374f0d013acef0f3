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
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** JFR: a carrier was handed to a spare thread because a fibril held its thread. */
@Name("dev.fibril.CarrierHandoff")
@Label("Carrier Hand-off")
@Category("Fibril")
@Description("A fibril held its carrier's thread past the hand-off threshold while other work waited; "
        + "the carrier went on on a spare thread")
@StackTrace(false) // the monitor's own stack says nothing: the blocking fibril's is a field
final class CarrierHandoffEvent extends Event {
    @Label("Carrier")
    int carrier;

    @Label("Held")
    @Description("How long the thread had been held when the monitor took the carrier (at least)")
    @Timespan(Timespan.NANOSECONDS)
    long held;

    @Label("Fibril")
    @Description("The name of the fibril that held the thread (empty when it has none)")
    String fibril;

    @Label("Blocking Stack")
    @Description("The holding fibril's stack trace when the carrier was taken, one frame per line")
    String blockingStack;
}
