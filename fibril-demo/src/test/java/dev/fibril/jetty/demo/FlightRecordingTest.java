/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty.demo;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./fibril serve --jfr FILE} leaves a recording with Fibril's events in it. */
class FlightRecordingTest {
    @Test
    void shouldRecordFibrilsEventsIntoTheFileWhenTheServerStops(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("serve.jfr");
        try (DemoServer s = DemoServer.start(DemoServer.parse(new String[] {
                "--port", "0", "--backend", "epoll", "--carriers", "1", "--jfr", file.toString()}))) {
            HttpResponse<String> hello = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(s.uri().resolve("hello")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode());
            // the periodic statistics come once a second: wait for one in a dump of the running recording
            Path dump = dir.resolve("dump.jfr");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                s.dumpRecording(dump);
                return !events(dump, "dev.fibril.RuntimeStatistics").isEmpty();
            });
        }
        assertTrue(Files.size(file) > 0, "the recording was written when the server stopped");
        List<RecordedEvent> stats = events(file, "dev.fibril.RuntimeStatistics");
        assertTrue(!stats.isEmpty(), "Fibril's periodic statistics are in the recording");
        assertEquals("epoll", stats.getLast().getString("backend"));
        assertTrue(stats.stream().anyMatch(e -> e.getLong("fibrilsStarted") >= 1), "the connection's fibrils were counted");
    }

    private static List<RecordedEvent> events(Path file, String name) throws IOException {
        return RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }
}
