/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hand-off is seen where a user looks: a {@value #EVENT} JFR event naming the carrier, how long
 * its thread was held, the fibril that held it and that fibril's stack; and the Micrometer meters
 * {@code fibril.carrier.handoffs} and {@code fibril.spare.threads}. The hand-off is the spin test's:
 * on one carrier a fibril spins until a neighbour, which needs the carrier, has finished.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CarrierHandoffEventsTest {
    static final String EVENT = "dev.fibril.CarrierHandoff";
    private static final Duration PATIENCE = CarrierHandoffContractTest.PATIENCE;

    @TempDir
    Path dir;
    private FibrilRuntime rt;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean released;

    @BeforeEach
    void start() {
        rt = Fibril.runtime().carriers(1).backend("simulated").strict(true).build();
    }

    @AfterEach
    void stop() {
        released = true;
        rt.close();
    }

    @Test
    void shouldRecordAHandoffEventNamingTheCarrierTheBlockingFibrilAndItsStack() throws Exception {
        Path file = dir.resolve("iso-handoff.jfr");
        Thread spinner;
        try (Recording recording = new Recording()) {
            recording.enable(EVENT);
            recording.start();
            spinner = spinUntilANeighbourIsDone();
            released = true;
            CarrierHandoffContractTest.assertFinished(spinner, "the spinner");
            recording.stop();
            recording.dump(file);
        }
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(EVENT)).toList();
        assertFalse(events.isEmpty(), "the recording has no " + EVENT + " event");
        String spinnerName = spinner.getName();
        assertFalse(spinnerName.isEmpty(), "fibrils have names");
        String blockingClass = getClass().getName();
        assertTrue(events.stream().anyMatch(e -> e.getInt("carrier") == 0
                        && e.getLong("held") > 0
                        && spinnerName.equals(e.getString("fibril"))
                        && e.getString("blockingStack").contains(blockingClass)),
                () -> "no event for carrier 0 with a positive 'held', fibril '" + spinnerName + "' and a blockingStack naming "
                        + blockingClass + " (its method spin); events:\n" + events.stream().map(RecordedEvent::toString)
                        .collect(Collectors.joining("\n")));
    }

    @Test
    void shouldCountHandoffsAndSpareThreadsInMicrometer() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        rt.meterBinder().bindTo(registry);
        Thread spinner = spinUntilANeighbourIsDone();
        // The neighbour finished while the spinner still holds the first thread: a second one drives the carrier.
        double spares = registry.get("fibril.spare.threads").gauge().value();
        assertTrue(spares >= 1, "fibril.spare.threads while the carrier's first thread is held: " + spares);
        released = true;
        CarrierHandoffContractTest.assertFinished(spinner, "the spinner");
        assertNull(failure.get(), () -> "a fibril failed: " + failure.get());
        double handoffs = registry.get("fibril.carrier.handoffs").functionCounter().count();
        assertTrue(handoffs >= 1, "fibril.carrier.handoffs after a hand-off: " + handoffs);
    }

    /**
     * Starts a fibril that spins until {@link #released}, then a neighbour that sleeps 100 times
     * and does a socket round trip, and waits for the neighbour: it can finish only on another
     * thread than the spinner's. Returns the spinner, still spinning.
     */
    private Thread spinUntilANeighbourIsDone() throws Exception {
        CountDownLatch spinning = new CountDownLatch(1);
        Thread spinner = rt.start(() -> spin(spinning));
        assertTrue(spinning.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the spinner started");
        Thread neighbour = rt.start(() -> {
            try {
                NeighbourWork.sleepsAndAnEcho(rt);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        CarrierHandoffContractTest.assertFinished(neighbour, "the neighbour");
        assertTrue(spinner.isAlive(), "the spinner spins until released");
        return spinner;
    }

    /** The blocking call site the event must name: a CPU loop on the fibril's thread. */
    private void spin(CountDownLatch spinning) {
        spinning.countDown();
        while (!released) {
            Thread.onSpinWait();
        }
    }
}
