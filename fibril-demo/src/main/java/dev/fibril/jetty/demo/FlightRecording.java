/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty.demo;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code ./fibril serve --jfr FILE}: a JFR recording with the JDK's default settings and Fibril's
 * own ({@code dev/fibril/fibril.jfc} from the runtime's jar: hand-offs, descriptor back-pressure,
 * slow requests), written to FILE when the server stops.
 */
final class FlightRecording implements AutoCloseable {
    static final String FIBRIL_SETTINGS = "/dev/fibril/fibril.jfc";

    private final Recording recording;

    private FlightRecording(Recording recording) {
        this.recording = recording;
    }

    static FlightRecording start(Path file) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        if (folder != null && !Files.isDirectory(folder)) {
            throw new IOException("--jfr " + file + ": the folder " + folder + " does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new IOException("--jfr " + file + ": is a folder, not a file");
        }
        Map<String, String> settings = new HashMap<>();
        try (InputStream in = FlightRecording.class.getResourceAsStream(FIBRIL_SETTINGS)) {
            if (in == null) {
                throw new IOException("Fibril's JFR settings " + FIBRIL_SETTINGS + " are not on the class path");
            }
            settings.putAll(Configuration.getConfiguration("default").getSettings());
            settings.putAll(Configuration.create(new InputStreamReader(in, StandardCharsets.UTF_8)).getSettings());
        } catch (ParseException e) {
            throw new IOException("cannot read JFR settings: " + e.getMessage(), e);
        }
        Recording r = new Recording(settings);
        r.setName("fibril-serve");
        r.setToDisk(true);
        try {
            r.setDestination(file);
        } catch (IOException e) {
            r.close();
            throw new IOException("--jfr " + file + ": cannot write there (" + e.getMessage() + ")", e);
        }
        r.start();
        return new FlightRecording(r);
    }

    /** Writes what is recorded so far to {@code file}; the recording goes on. */
    void dump(Path file) throws IOException {
        recording.dump(file);
    }

    /**
     * Stops the recording, which writes it to its file. On SIGTERM or Ctrl-C the JVM runs JFR's
     * own exit hook next to the server's stop, and it may have stopped and written the recording
     * already (then the server's last moments are not in it).
     */
    @Override
    public void close() {
        try {
            if (recording.getState() == RecordingState.RUNNING) {
                recording.stop();
            }
        } catch (IllegalStateException stoppedMeanwhile) {
            // JFR's exit hook stopped it between the look and the stop
        }
        recording.close();
    }
}
